//! docs/architecture.md, "SQLite writers": this process's writers take turns, and the
//! write-ahead log is copied into the database by a checkpoint off the requests' path.

use std::sync::mpsc;
use std::time::Duration;

use ::diesel::connection::SimpleConnection;
use ::diesel::result::QueryResult;

use super::super::conn::write_one;
use super::super::{DbConnection, run, write_tx};
use super::test_dbs;
use crate::storage::Store;

/// Holds the writer turn of `db`'s pool for 400 ms inside a write transaction, and meanwhile runs
/// `second` on a connection whose busy timeout is zero: without the turn it would meet SQLite's file
/// lock at once and fail (after `write_tx`'s retries of 5, 10, 15 and 20 ms, or at once on its own).
async fn while_another_writer_holds_the_turn<F>(db: &super::TestDb, second: F) -> QueryResult<()>
where
    F: FnOnce(&mut DbConnection) -> QueryResult<()> + Send + 'static,
{
    let pool = db.store.pool();
    run(&pool, |conn| {
        Ok(conn.batch_execute("CREATE TABLE IF NOT EXISTS turns (writer TEXT NOT NULL)")?)
    })
    .await
    .unwrap();
    let (begun, has_begun) = mpsc::channel();
    let first_pool = pool.clone();
    let first = tokio::spawn(async move {
        run(&first_pool, move |conn| {
            Ok(write_tx(conn, |conn| {
                conn.batch_execute("INSERT INTO turns VALUES ('first')")?;
                begun.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(400));
                Ok(())
            })?)
        })
        .await
    });
    tokio::task::spawn_blocking(move || has_begun.recv().unwrap())
        .await
        .unwrap();
    let written = run(&pool, |conn| {
        conn.batch_execute("PRAGMA busy_timeout = 0")?;
        let written = second(conn);
        conn.batch_execute("PRAGMA busy_timeout = 5000")?;
        Ok(written)
    })
    .await
    .unwrap();
    first.await.unwrap().unwrap();
    written
}

/// A second write transaction of the same process waits for its turn, not on SQLite's file lock.
#[tokio::test]
async fn sqlite_writers_of_one_process_take_turns_instead_of_meeting_the_file_lock() {
    let db = test_dbs().await.remove(0);
    assert_eq!(db.name, "sqlite");
    let second = while_another_writer_holds_the_turn(&db, |conn| {
        write_tx(conn, |conn| {
            conn.batch_execute("INSERT INTO turns VALUES ('second')")
        })
    })
    .await;
    assert!(second.is_ok(), "the second writer met the file lock: {second:?}");
    db.finish().await;
}

/// A statement that writes on its own (`write_one`, under `run_write` and `DieselStore::write`) waits for its turn too.
#[tokio::test]
async fn a_statement_writing_on_its_own_also_waits_for_its_turn() {
    let db = test_dbs().await.remove(0);
    let second = while_another_writer_holds_the_turn(&db, |conn| {
        write_one(conn, |conn| {
            conn.batch_execute("INSERT INTO turns VALUES ('second')")
        })
    })
    .await;
    assert!(second.is_ok(), "the statement met the file lock: {second:?}");
    db.finish().await;
}

/// A checkpoint copies the pages the log holds into the database file; commits leave them in the
/// log until it holds `WAL_AUTOCHECKPOINT_PAGES`.
#[tokio::test]
async fn a_checkpoint_copies_the_write_ahead_log_into_the_database() {
    let db = test_dbs().await.remove(0);
    let pool = db.store.pool();
    let file = {
        let conn_path = run(&pool, |conn| {
            use ::diesel::prelude::*;
            #[derive(QueryableByName)]
            struct Row {
                #[diesel(sql_type = ::diesel::sql_types::Text)]
                file: String,
            }
            let rows: Vec<Row> =
                ::diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .load(conn)?;
            Ok(rows.into_iter().next().map(|r| r.file).unwrap_or_default())
        })
        .await
        .unwrap();
        std::path::PathBuf::from(conn_path)
    };
    db.store.checkpoint().await.unwrap();
    let before = std::fs::metadata(&file).unwrap().len();
    run(&pool, |conn| {
        conn.batch_execute("CREATE TABLE filler (body TEXT NOT NULL)")?;
        for _ in 0..1_500 {
            write_tx(conn, |conn| {
                conn.batch_execute(&format!("INSERT INTO filler VALUES ('{}')", "x".repeat(4000)))
            })?;
        }
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        before,
        "the commits copied the log into the database themselves"
    );
    db.store.checkpoint().await.unwrap();
    assert!(std::fs::metadata(&file).unwrap().len() > before + 1_500 * 4000);
    db.finish().await;
}

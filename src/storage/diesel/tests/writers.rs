//! docs/architecture.md, "SQLite writers": this process's writers take turns, and the
//! write-ahead log is copied into the database by a checkpoint off the requests' path.

use std::sync::mpsc;
use std::time::Duration;

use ::diesel::connection::SimpleConnection;

use super::super::{run, write_tx};
use super::test_dbs;
use crate::storage::Store;

/// A second writer of the same process waits for its turn, not on SQLite's file lock: with a
/// busy timeout of zero it would meet the lock at once and fail after `write_tx`'s retries (5, 10,
/// 15 and 20 ms), long before the first writer, which keeps its transaction open for 400 ms, ends.
#[tokio::test]
async fn sqlite_writers_of_one_process_take_turns_instead_of_meeting_the_file_lock() {
    let db = test_dbs().await.remove(0);
    assert_eq!(db.name, "sqlite");
    let pool = db.store.pool();
    run(&pool, |conn| {
        Ok(conn.batch_execute("CREATE TABLE turns (writer TEXT NOT NULL)")?)
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

    let second = run(&pool, |conn| {
        conn.batch_execute("PRAGMA busy_timeout = 0")?;
        let written = write_tx(conn, |conn| {
            conn.batch_execute("INSERT INTO turns VALUES ('second')")
        });
        conn.batch_execute("PRAGMA busy_timeout = 5000")?;
        Ok(written?)
    })
    .await;
    assert!(second.is_ok(), "the second writer met the file lock: {second:?}");
    first.await.unwrap().unwrap();
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

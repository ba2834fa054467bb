//! [`GroupStore`] over diesel (docs/clients.md, "Groups").

use async_trait::async_trait;
use diesel::prelude::*;

use super::rows::UserGroupRow;
use super::schema::{groups, user_groups, users};
use super::{DbConnection, DieselStore, on_backend, write_tx};
use crate::storage::{Group, GroupMember, GroupStore, StorageResult};

/// Inserts the group unless it exists.
fn ensure_group(conn: &mut DbConnection, name: &str, now: i64) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::insert_into(groups::table)
        .values((groups::name.eq(name), groups::created_at.eq(now)))
        .on_conflict(groups::name)
        .do_nothing()
        .execute(c))?;
    Ok(())
}

/// Inserts the membership unless it exists.
fn ensure_member(conn: &mut DbConnection, row: &UserGroupRow) -> QueryResult<()> {
    on_backend!(conn, |c| diesel::insert_into(user_groups::table)
        .values(row)
        .on_conflict((user_groups::user_id, user_groups::group_name, user_groups::source))
        .do_nothing()
        .execute(c))?;
    Ok(())
}

#[async_trait]
impl GroupStore for DieselStore {
    async fn create_group(&self, name: &str, now: i64) -> StorageResult<()> {
        let name = name.to_owned();
        self.write(move |conn| {
            diesel::insert_into(groups::table)
                .values((groups::name.eq(name), groups::created_at.eq(now)))
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn list_groups(&self) -> StorageResult<Vec<Group>> {
        self.run(|conn| {
            let all: Vec<(String, i64)> = groups::table
                .order(groups::name.asc())
                .select((groups::name, groups::created_at))
                .load(conn)?;
            let memberships: Vec<(String, String)> = user_groups::table
                .select((user_groups::group_name, user_groups::user_id))
                .load(conn)?;
            Ok(all
                .into_iter()
                .map(|(name, created_at)| {
                    let mut members: Vec<&str> = memberships
                        .iter()
                        .filter(|(g, _)| *g == name)
                        .map(|(_, u)| u.as_str())
                        .collect();
                    members.sort_unstable();
                    members.dedup();
                    let members = members.len() as i64;
                    Group {
                        name,
                        created_at,
                        members,
                    }
                })
                .collect())
        })
        .await
    }

    async fn group_exists(&self, name: &str) -> StorageResult<bool> {
        let name = name.to_owned();
        self.run(move |conn| {
            let n: i64 = groups::table.find(name).count().get_result(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn delete_group(&self, name: &str) -> StorageResult<bool> {
        let name = name.to_owned();
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                diesel::delete(user_groups::table.filter(user_groups::group_name.eq(&name))).execute(conn)?;
                Ok(diesel::delete(groups::table.find(&name)).execute(conn)? > 0)
            })?)
        })
        .await
    }

    async fn add_group_member(
        &self,
        group: &str,
        user_id: &str,
        source: &str,
        now: i64,
    ) -> StorageResult<bool> {
        let row = UserGroupRow {
            user_id: user_id.to_owned(),
            group_name: group.to_owned(),
            source: source.to_owned(),
            added_at: now,
        };
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                let exists: i64 = groups::table.find(&row.group_name).count().get_result(conn)?;
                if exists == 0 {
                    return Ok(false);
                }
                ensure_member(conn, &row)?;
                Ok(true)
            })?)
        })
        .await
    }

    async fn remove_group_member(&self, group: &str, user_id: &str, source: &str) -> StorageResult<bool> {
        let (group, user_id, source) = (group.to_owned(), user_id.to_owned(), source.to_owned());
        self.write(move |conn| {
            let n = diesel::delete(
                user_groups::table
                    .filter(user_groups::group_name.eq(group))
                    .filter(user_groups::user_id.eq(user_id))
                    .filter(user_groups::source.eq(source)),
            )
            .execute(conn)?;
            Ok(n > 0)
        })
        .await
    }

    async fn group_members(&self, group: &str) -> StorageResult<Vec<GroupMember>> {
        let group = group.to_owned();
        self.run(move |conn| {
            let rows: Vec<UserGroupRow> = user_groups::table
                .filter(user_groups::group_name.eq(&group))
                .select(UserGroupRow::as_select())
                .load(conn)?;
            let ids: Vec<&str> = rows.iter().map(|r| r.user_id.as_str()).collect();
            let names: Vec<(String, String)> = users::table
                .filter(users::id.eq_any(&ids))
                .select((users::id, users::username))
                .load(conn)?;
            let mut members: Vec<GroupMember> = rows
                .iter()
                .filter_map(|r| {
                    let (_, username) = names.iter().find(|(id, _)| *id == r.user_id)?;
                    Some(GroupMember {
                        user_id: r.user_id.clone(),
                        username: username.clone(),
                        source: r.source.clone(),
                        added_at: r.added_at,
                    })
                })
                .collect();
            members.sort_by(|a, b| (&a.username, &a.source).cmp(&(&b.username, &b.source)));
            Ok(members)
        })
        .await
    }

    async fn user_groups(&self, user_id: &str) -> StorageResult<Vec<String>> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let mut names: Vec<String> = user_groups::table
                .filter(user_groups::user_id.eq(user_id))
                .select(user_groups::group_name)
                .load(conn)?;
            names.sort_unstable();
            names.dedup();
            Ok(names)
        })
        .await
    }

    async fn replace_external_groups(
        &self,
        user_id: &str,
        source: &str,
        names: &[String],
        now: i64,
    ) -> StorageResult<()> {
        let (user_id, source, names) = (user_id.to_owned(), source.to_owned(), names.to_vec());
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                diesel::delete(
                    user_groups::table
                        .filter(user_groups::user_id.eq(&user_id))
                        .filter(user_groups::source.eq(&source)),
                )
                .execute(conn)?;
                for name in &names {
                    ensure_group(conn, name, now)?;
                    let row = UserGroupRow {
                        user_id: user_id.clone(),
                        group_name: name.clone(),
                        source: source.clone(),
                        added_at: now,
                    };
                    ensure_member(conn, &row)?;
                }
                Ok(())
            })?)
        })
        .await
    }
}

//! [`UserStore`] over diesel (docs/architecture.md, "State").

use async_trait::async_trait;
use diesel::prelude::*;

use super::rows::UserRow;
use super::schema::{
    backchannel_sessions, consents, identity_links, refresh_tokens, token_families, user_groups, users,
};
use super::{DieselStore, write_tx};
use crate::storage::cache::UserCache;
use crate::storage::{NewUser, StorageResult, User, UserProfile, UserStore};

#[async_trait]
impl UserStore for DieselStore {
    async fn create_user(&self, user: NewUser) -> StorageResult<User> {
        let row = UserRow::from_new(user);
        self.write(move |conn| {
            diesel::insert_into(users::table).values(&row).execute(conn)?;
            Ok(row.into())
        })
        .await
    }

    async fn user_by_id(&self, id: &str) -> StorageResult<Option<User>> {
        let id = id.to_owned();
        self.run(move |conn| {
            let row = users::table
                .find(id)
                .select(UserRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(User::from))
        })
        .await
    }

    async fn user_by_username(&self, username: &str) -> StorageResult<Option<User>> {
        let username = username.to_owned();
        self.run(move |conn| {
            let row = users::table
                .filter(users::username.eq(username))
                .select(UserRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(User::from))
        })
        .await
    }

    async fn list_users(&self) -> StorageResult<Vec<User>> {
        self.run(|conn| {
            let rows = users::table
                .order(users::username.asc())
                .select(UserRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(User::from).collect())
        })
        .await
    }

    async fn count_users(&self) -> StorageResult<i64> {
        self.run(|conn| Ok(users::table.count().get_result(conn)?)).await
    }

    async fn set_password(&self, id: &str, password_hash: &str, at: i64) -> StorageResult<bool> {
        let (key, hash) = (id.to_owned(), password_hash.to_owned());
        let result = self
            .run(move |conn| {
                let n = diesel::update(users::table.find(key))
                    .set((
                        users::password_hash.eq(hash),
                        users::password_changed_at.eq(at),
                        users::updated_at.eq(at / 1000),
                    ))
                    .execute(conn)?;
                Ok(n > 0)
            })
            .await;
        self.users.changed(id).await;
        result
    }

    async fn set_disabled(&self, id: &str, disabled: bool, at: i64) -> StorageResult<bool> {
        let key = id.to_owned();
        let result = self
            .run(move |conn| {
                let n = diesel::update(users::table.find(key))
                    .set((users::disabled.eq(disabled), users::updated_at.eq(at)))
                    .execute(conn)?;
                Ok(n > 0)
            })
            .await;
        self.users.changed(id).await;
        result
    }

    async fn set_profile(&self, id: &str, profile: UserProfile, at: i64) -> StorageResult<bool> {
        let key = id.to_owned();
        let result = self
            .run(move |conn| {
                let n = diesel::update(users::table.find(key))
                    .set((
                        users::email.eq(profile.email),
                        users::email_verified.eq(profile.email_verified),
                        users::name.eq(profile.name),
                        users::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                Ok(n > 0)
            })
            .await;
        self.users.changed(id).await;
        result
    }

    async fn revoke_sessions(&self, id: &str, at: i64) -> StorageResult<bool> {
        let key = id.to_owned();
        let result = self
            .run(move |conn| {
                let n = diesel::update(users::table.find(key))
                    .set((users::sessions_revoked_at.eq(at), users::updated_at.eq(at / 1000)))
                    .execute(conn)?;
                Ok(n > 0)
            })
            .await;
        self.users.changed(id).await;
        result
    }

    /// Deletes the user's refresh tokens, families and consents, then the user, in one
    /// transaction (explicitly, so it holds even where foreign keys are not enforced).
    async fn delete_user(&self, user_id: &str) -> StorageResult<bool> {
        let id = user_id.to_owned();
        let result = self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                let families = token_families::table
                    .filter(token_families::user_id.eq(&id))
                    .select(token_families::id);
                diesel::delete(refresh_tokens::table.filter(refresh_tokens::family_id.eq_any(families)))
                    .execute(conn)?;
                diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(&id)))
                    .execute(conn)?;
                diesel::delete(token_families::table.filter(token_families::user_id.eq(&id)))
                    .execute(conn)?;
                diesel::delete(consents::table.filter(consents::user_id.eq(&id))).execute(conn)?;
                diesel::delete(user_groups::table.filter(user_groups::user_id.eq(&id))).execute(conn)?;
                diesel::delete(backchannel_sessions::table.filter(backchannel_sessions::user_id.eq(&id)))
                    .execute(conn)?;
                diesel::delete(identity_links::table.filter(identity_links::user_id.eq(&id)))
                    .execute(conn)?;
                let n = diesel::delete(users::table.find(&id)).execute(conn)?;
                Ok(n > 0)
            })?)
        });
        let result = result.await;
        self.users.changed(user_id).await;
        result
    }

    /// From this node's cache when it was read less than its TTL ago (docs/security.md E.35).
    async fn user_for_token(&self, id: &str) -> StorageResult<Option<User>> {
        self.users.read_through(id, self.user_by_id(id)).await
    }

    fn user_cache(&self) -> Option<&UserCache> {
        Some(&self.users)
    }
}

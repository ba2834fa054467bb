//! [`IdentityLinkStore`] over diesel (docs/guides/federation.md, docs/security.md I.4).

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use super::rows::{IdentityLinkRow, UserRow};
use super::schema::{identity_links, users};
use super::{DieselStore, write_tx};
use crate::storage::{IdentityLink, IdentityLinkStore, NewUser, StorageResult, User};

diesel::define_sql_function! {
    /// SQL `lower(text)`: the expression `users_email_lower_idx` indexes.
    fn lower(x: Nullable<Text>) -> Nullable<Text>;
}

#[async_trait]
impl IdentityLinkStore for DieselStore {
    async fn linked_user(&self, upstream_id: &str, subject: &str) -> StorageResult<Option<User>> {
        let (upstream_id, subject) = (upstream_id.to_owned(), subject.to_owned());
        self.run(move |conn| {
            let user_id = identity_links::table
                .find((upstream_id, subject))
                .select(identity_links::user_id)
                .first::<String>(conn)
                .optional()?;
            let Some(user_id) = user_id else {
                return Ok(None);
            };
            let row = users::table
                .find(user_id)
                .select(UserRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(User::from))
        })
        .await
    }

    async fn link_identity(&self, link: IdentityLink) -> StorageResult<()> {
        let row = IdentityLinkRow::from(link);
        self.write(move |conn| {
            diesel::insert_into(identity_links::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn create_linked_user(&self, user: NewUser, link: IdentityLink) -> StorageResult<User> {
        let user = UserRow::from_new(user);
        let link = IdentityLinkRow {
            user_id: user.id.clone(),
            ..IdentityLinkRow::from(link)
        };
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                diesel::insert_into(users::table).values(&user).execute(conn)?;
                diesel::insert_into(identity_links::table)
                    .values(&link)
                    .execute(conn)?;
                Ok(User::from(user.clone()))
            })?)
        })
        .await
    }

    async fn identity_links_for_user(&self, user_id: &str) -> StorageResult<Vec<IdentityLink>> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let rows = identity_links::table
                .filter(identity_links::user_id.eq(user_id))
                .order((identity_links::upstream_id.asc(), identity_links::subject.asc()))
                .select(IdentityLinkRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(IdentityLink::from).collect())
        })
        .await
    }

    async fn unlink_identity(&self, user_id: &str, upstream_id: &str) -> StorageResult<u64> {
        let (user_id, upstream_id) = (user_id.to_owned(), upstream_id.to_owned());
        self.write(move |conn| {
            let n = diesel::delete(
                identity_links::table
                    .filter(identity_links::user_id.eq(user_id))
                    .filter(identity_links::upstream_id.eq(upstream_id)),
            )
            .execute(conn)?;
            Ok(n as u64)
        })
        .await
    }

    async fn users_by_email(&self, email: &str) -> StorageResult<Vec<User>> {
        let email = email.to_lowercase();
        self.run(move |conn| {
            let rows = users::table
                .filter(lower(users::email).eq(Some(email)))
                .order(users::username.asc())
                .limit(2)
                .select(UserRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(User::from).collect())
        })
        .await
    }
}

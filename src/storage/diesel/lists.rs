//! [`ListStore`] over diesel: keyset pages (`key > after ORDER BY key LIMIT n`) with the filters
//! in the statement (docs/admin-api.md, "Pagination").

use async_trait::async_trait;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use super::DieselStore;
use super::conn::DbConnection;
use super::rows::{ClientRow, UserRow};
use super::schema::{clients, token_families, users};
use crate::storage::{
    Client, ClientListFilter, ClientSource, ListStore, StorageError, StorageResult, TokenFamily, User,
    UserListFilter,
};

type Backend = <DbConnection as Connection>::Backend;

diesel::define_sql_function! {
    /// SQL `substr(text, start, length)` (characters, 1-based) on both backends.
    fn substr(text: Text, start: Integer, length: Integer) -> Text;
}

/// `value` as a LIKE pattern matching itself only (`\` escapes `%`, `_` and itself).
fn like_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The LIKE pattern of a JSON column holding `member` (`"name":value`, or a bare value when
/// `name` is empty) as serde_json writes it: no spaces, strings quoted, so a quote inside a
/// stored string (written `\"`) never matches it.
fn json_pattern<T: serde::Serialize>(name: &str, value: &T) -> StorageResult<String> {
    let value = serde_json::to_string(value).map_err(|e| StorageError::Backend(e.to_string()))?;
    let member = if name.is_empty() {
        value
    } else {
        format!("\"{name}\":{value}")
    };
    Ok(format!("%{}%", like_literal(&member)))
}

#[async_trait]
impl ListStore for DieselStore {
    async fn users_page(
        &self,
        filter: &UserListFilter,
        after: Option<&str>,
        limit: i64,
    ) -> StorageResult<Vec<User>> {
        let (filter, after) = (filter.clone(), after.map(str::to_owned));
        self.run(move |conn| {
            let mut query = users::table
                .select(UserRow::as_select())
                .order(users::username.asc())
                .limit(limit.max(0))
                .into_boxed::<Backend>();
            if let Some(after) = after {
                query = query.filter(users::username.gt(after));
            }
            if let Some(disabled) = filter.disabled {
                query = query.filter(users::disabled.eq(disabled));
            }
            if let Some(prefix) = filter.username_prefix {
                let n = i32::try_from(prefix.chars().count()).unwrap_or(i32::MAX);
                // The range starts at the prefix (every name that starts with it sorts at or
                // after it); substr keeps the match exact and case-sensitive on both backends.
                query = query
                    .filter(users::username.ge(prefix.clone()))
                    .filter(substr(users::username, 1, n).eq(prefix));
            }
            let rows = query.load(conn)?;
            Ok(rows.into_iter().map(User::from).collect())
        })
        .await
    }

    async fn clients_page(
        &self,
        filter: &ClientListFilter,
        after: Option<&str>,
        limit: i64,
    ) -> StorageResult<Vec<Client>> {
        let after = after.map(str::to_owned);
        // Rows written before `registration.source` existed hold `{}`: an administrator's.
        let (source_is, source_is_not) = match filter.source {
            None => (None, vec![]),
            Some(ClientSource::Admin) => (
                None,
                vec![
                    json_pattern("source", &ClientSource::Dynamic)?,
                    json_pattern("source", &ClientSource::MetadataDocument)?,
                ],
            ),
            Some(other) => (Some(json_pattern("source", &other)?), vec![]),
        };
        let grant = match filter.grant_type {
            Some(g) => Some(json_pattern("", &g)?),
            None => None,
        };
        self.run(move |conn| {
            let mut query = clients::table
                .select(ClientRow::as_select())
                .order(clients::client_id.asc())
                .limit(limit.max(0))
                .into_boxed::<Backend>();
            if let Some(after) = after {
                query = query.filter(clients::client_id.gt(after));
            }
            if let Some(pattern) = source_is {
                query = query.filter(clients::registration.like(pattern).escape('\\'));
            }
            for pattern in source_is_not {
                query = query.filter(clients::registration.not_like(pattern).escape('\\'));
            }
            if let Some(pattern) = grant {
                query = query.filter(clients::grant_types.like(pattern).escape('\\'));
            }
            let rows = query.load(conn)?;
            rows.into_iter().map(Client::try_from).collect()
        })
        .await
    }

    async fn families_page(
        &self,
        user_id: Option<&str>,
        client_id: Option<&str>,
        now: i64,
        after: Option<&str>,
        limit: i64,
    ) -> StorageResult<Vec<TokenFamily>> {
        let (user_id, client_id) = (user_id.map(str::to_owned), client_id.map(str::to_owned));
        let after = after.map(str::to_owned);
        self.run(move |conn| {
            let mut query = super::grants::live_families(user_id, client_id, now).limit(limit.max(0));
            if let Some(after) = after {
                query = query.filter(token_families::id.gt(after));
            }
            let rows = query.load(conn)?;
            Ok(rows.into_iter().map(TokenFamily::from).collect())
        })
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_match_only_their_literal() {
        assert_eq!(like_literal(r"a_b%c\d"), r"a\_b\%c\\d");
        let p = json_pattern("source", &ClientSource::MetadataDocument).unwrap();
        assert_eq!(p, r#"%"source":"metadata\_document"%"#);
    }
}

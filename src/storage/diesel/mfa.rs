//! [`MfaStore`] over diesel (docs/guides/mfa.md): TOTP secrets, recovery codes, passkeys. The rows
//! of these three tables stay in this file; the flows see `models.rs` types.

use async_trait::async_trait;
use diesel::prelude::*;

use super::schema::{mfa_passkeys, mfa_recovery_codes, mfa_totp};
use super::{DieselStore, write_tx};
use crate::storage::{MfaStore, PasskeyCredential, StorageResult, TotpSecret};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mfa_totp)]
struct TotpRow {
    user_id: String,
    secret_sealed: String,
    last_used_step: i64,
    created_at: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mfa_recovery_codes)]
struct RecoveryRow {
    user_id: String,
    code_hash: String,
    used_at: Option<i64>,
    created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = mfa_passkeys)]
struct PasskeyRow {
    id: String,
    user_id: String,
    name: String,
    passkey: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl From<TotpRow> for TotpSecret {
    fn from(r: TotpRow) -> TotpSecret {
        TotpSecret {
            user_id: r.user_id,
            secret_sealed: r.secret_sealed,
            last_used_step: r.last_used_step,
            created_at: r.created_at,
        }
    }
}

impl From<PasskeyRow> for PasskeyCredential {
    fn from(r: PasskeyRow) -> PasskeyCredential {
        PasskeyCredential {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            passkey: r.passkey,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        }
    }
}

#[async_trait]
impl MfaStore for DieselStore {
    async fn totp(&self, user_id: &str) -> StorageResult<Option<TotpSecret>> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let row = mfa_totp::table
                .find(user_id)
                .select(TotpRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(TotpSecret::from))
        })
        .await
    }

    async fn confirm_totp(&self, totp: TotpSecret, recovery_hashes: Vec<String>) -> StorageResult<()> {
        let row = TotpRow {
            user_id: totp.user_id,
            secret_sealed: totp.secret_sealed,
            last_used_step: totp.last_used_step,
            created_at: totp.created_at,
        };
        let codes: Vec<RecoveryRow> = recovery_hashes
            .into_iter()
            .map(|code_hash| RecoveryRow {
                user_id: row.user_id.clone(),
                code_hash,
                used_at: None,
                created_at: row.created_at,
            })
            .collect();
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                diesel::delete(mfa_totp::table.find(&row.user_id)).execute(conn)?;
                diesel::insert_into(mfa_totp::table).values(&row).execute(conn)?;
                diesel::delete(
                    mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(&row.user_id)),
                )
                .execute(conn)?;
                for code in &codes {
                    diesel::insert_into(mfa_recovery_codes::table)
                        .values(code)
                        .execute(conn)?;
                }
                Ok(())
            })?)
        })
        .await
    }

    async fn use_totp_step(&self, user_id: &str, step: i64) -> StorageResult<bool> {
        let user_id = user_id.to_owned();
        self.write(move |conn| {
            let n = diesel::update(
                mfa_totp::table
                    .filter(mfa_totp::user_id.eq(user_id))
                    .filter(mfa_totp::last_used_step.lt(step)),
            )
            .set(mfa_totp::last_used_step.eq(step))
            .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    async fn delete_totp(&self, user_id: &str) -> StorageResult<bool> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(&user_id)))
                    .execute(conn)?;
                let n = diesel::delete(mfa_totp::table.find(&user_id)).execute(conn)?;
                Ok(n > 0)
            })?)
        })
        .await
    }

    async fn use_recovery_code(&self, user_id: &str, code_hash: &str, now: i64) -> StorageResult<bool> {
        let (user_id, code_hash) = (user_id.to_owned(), code_hash.to_owned());
        self.write(move |conn| {
            let n = diesel::update(
                mfa_recovery_codes::table
                    .find((user_id, code_hash))
                    .filter(mfa_recovery_codes::used_at.is_null()),
            )
            .set(mfa_recovery_codes::used_at.eq(Some(now)))
            .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    async fn recovery_codes_left(&self, user_id: &str) -> StorageResult<i64> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            Ok(mfa_recovery_codes::table
                .filter(mfa_recovery_codes::user_id.eq(user_id))
                .filter(mfa_recovery_codes::used_at.is_null())
                .count()
                .get_result(conn)?)
        })
        .await
    }

    async fn add_passkey(&self, passkey: PasskeyCredential) -> StorageResult<()> {
        let row = PasskeyRow {
            id: passkey.id,
            user_id: passkey.user_id,
            name: passkey.name,
            passkey: passkey.passkey,
            created_at: passkey.created_at,
            last_used_at: passkey.last_used_at,
        };
        self.write(move |conn| {
            diesel::insert_into(mfa_passkeys::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
        .await
    }

    async fn passkeys(&self, user_id: &str) -> StorageResult<Vec<PasskeyCredential>> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            let rows = mfa_passkeys::table
                .filter(mfa_passkeys::user_id.eq(user_id))
                .order((mfa_passkeys::created_at.asc(), mfa_passkeys::id.asc()))
                .select(PasskeyRow::as_select())
                .load(conn)?;
            Ok(rows.into_iter().map(PasskeyCredential::from).collect())
        })
        .await
    }

    async fn passkey_by_id(&self, id: &str) -> StorageResult<Option<PasskeyCredential>> {
        let id = id.to_owned();
        self.run(move |conn| {
            let row = mfa_passkeys::table
                .find(id)
                .select(PasskeyRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(PasskeyCredential::from))
        })
        .await
    }

    async fn update_passkey(&self, id: &str, passkey: &str, now: i64) -> StorageResult<bool> {
        let (id, passkey) = (id.to_owned(), passkey.to_owned());
        self.write(move |conn| {
            let n = diesel::update(mfa_passkeys::table.find(id))
                .set((
                    mfa_passkeys::passkey.eq(passkey),
                    mfa_passkeys::last_used_at.eq(Some(now)),
                ))
                .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    async fn delete_passkey(&self, user_id: &str, id: &str) -> StorageResult<bool> {
        let (user_id, id) = (user_id.to_owned(), id.to_owned());
        self.write(move |conn| {
            let n = diesel::delete(
                mfa_passkeys::table
                    .find(id)
                    .filter(mfa_passkeys::user_id.eq(user_id)),
            )
            .execute(conn)?;
            Ok(n == 1)
        })
        .await
    }

    async fn reset_mfa(&self, user_id: &str) -> StorageResult<u64> {
        let user_id = user_id.to_owned();
        self.run(move |conn| {
            Ok(write_tx(conn, |conn| {
                let a = diesel::delete(mfa_passkeys::table.filter(mfa_passkeys::user_id.eq(&user_id)))
                    .execute(conn)?;
                let b = diesel::delete(
                    mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(&user_id)),
                )
                .execute(conn)?;
                let c = diesel::delete(mfa_totp::table.find(&user_id)).execute(conn)?;
                Ok((a + b + c) as u64)
            })?)
        })
        .await
    }
}

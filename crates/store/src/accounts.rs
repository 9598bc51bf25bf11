use grassroots_core::accounts::{Actor, Department, NewUser, Role, Scope};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Ctx, Result, Store, StoreError, Tx};

/// An account as stored. `phone` is personal data: views mask it and an
/// unmasked read goes through [`Store::reveal_phone`], which is audited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
    pub phone: Option<String>,
    pub disabled: bool,
    pub has_password: bool,
    pub created_at: i64,
}

impl StoredUser {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: self.id,
            username: self.username.clone(),
            role: self.role,
            scope: self.scope.clone(),
        }
    }
}

/// A user found by username together with the hash to check a password against.
#[derive(Clone, Debug)]
pub struct SessionUser {
    pub user: StoredUser,
    pub password_hash: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Only users acting within these units (or departments sitting in them).
    /// `None`: no restriction (a city-wide actor).
    pub within_units: Option<Vec<String>>,
    /// Only users of this department.
    pub department: Option<String>,
    pub role: Option<Role>,
    pub limit: i64,
    pub offset: i64,
}

const USER_COLUMNS: &str = "id, username, display_name, role, scope_kind, scope_code, phone, \
                            password_hash, disabled_at, created_at";

fn scope_parts(scope: &Scope) -> (&'static str, Option<&str>) {
    match scope {
        Scope::None => ("none", None),
        Scope::Unit(c) => ("unit", Some(c)),
        Scope::Department(c) => ("department", Some(c)),
    }
}

fn user_from_row(row: &AnyRow) -> Result<SessionUser> {
    let role: String = row.try_get("role")?;
    let role = Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?;
    let kind: String = row.try_get("scope_kind")?;
    let code: Option<String> = row.try_get("scope_code")?;
    let scope = match (kind.as_str(), code) {
        ("none", _) => Scope::None,
        ("unit", Some(c)) => Scope::Unit(c),
        ("department", Some(c)) => Scope::Department(c),
        (k, _) => return Err(StoreError::Corrupt(format!("scope {k}"))),
    };
    let password_hash: Option<String> = row.try_get("password_hash")?;
    let disabled_at: Option<i64> = row.try_get("disabled_at")?;
    Ok(SessionUser {
        user: StoredUser {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            role,
            scope,
            phone: row.try_get("phone")?,
            disabled: disabled_at.is_some(),
            has_password: password_hash.is_some(),
            created_at: row.try_get("created_at")?,
        },
        password_hash,
    })
}

impl Store {
    pub async fn departments(&self) -> Result<Vec<Department>> {
        let rows = sqlx::query(
            "SELECT code, name, name_en, kind, unit_code FROM departments ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Department {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    name_en: r.try_get("name_en")?,
                    kind: r.try_get("kind")?,
                    unit: r.try_get("unit_code")?,
                })
            })
            .collect()
    }

    pub async fn create_user(
        &self,
        ctx: &Ctx,
        user: &NewUser,
        password_hash: Option<&str>,
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        let id = tx.create_user(ctx, user, password_hash).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user(&self, id: i64) -> Result<StoredUser> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_one(&self.pool).await?;
        Ok(user_from_row(&row)?.user)
    }

    /// For login: the user and the password hash to check.
    pub async fn user_for_login(&self, username: &str) -> Result<Option<SessionUser>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        let row = sqlx::query(&sql)
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn users(&self, f: &UserFilter) -> Result<Vec<StoredUser>> {
        let mut sql = format!("SELECT {USER_COLUMNS} FROM users WHERE 1 = 1");
        let mut n = 0;
        let mut binds: Vec<String> = Vec::new();
        if let Some(units) = &f.within_units {
            if units.is_empty() {
                return Ok(Vec::new());
            }
            let list = |start: usize| {
                (start..start + units.len())
                    .map(|i| format!("${i}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let first = list(n + 1);
            let second = list(n + 1 + units.len());
            sql.push_str(&format!(
                " AND ((scope_kind = 'unit' AND scope_code IN ({first})) OR (scope_kind = 'department' \
                 AND scope_code IN (SELECT code FROM departments WHERE unit_code IN ({second}))))"
            ));
            n += 2 * units.len();
            binds.extend(units.iter().cloned());
            binds.extend(units.iter().cloned());
        }
        if let Some(d) = &f.department {
            n += 1;
            sql.push_str(&format!(
                " AND scope_kind = 'department' AND scope_code = ${n}"
            ));
            binds.push(d.clone());
        }
        if let Some(r) = f.role {
            n += 1;
            sql.push_str(&format!(" AND role = ${n}"));
            binds.push(r.as_str().to_owned());
        }
        sql.push_str(&format!(" ORDER BY id LIMIT ${} OFFSET ${}", n + 1, n + 2));
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q
            .bind(f.limit.clamp(1, 1000))
            .bind(f.offset.max(0))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| user_from_row(r).map(|u| u.user))
            .collect()
    }

    pub async fn user_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?)
    }

    /// The unmasked phone number; the read is audited in the same transaction.
    pub async fn reveal_phone(&self, ctx: &Ctx, id: i64) -> Result<Option<String>> {
        let mut tx = self.write().await?;
        let phone: Option<Option<String>> =
            sqlx::query_scalar("SELECT phone FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx.inner)
                .await?;
        let phone = phone.ok_or(StoreError::NotFound)?;
        tx.audit(
            ctx,
            "user.reveal_phone",
            "user",
            &id.to_string(),
            &["phone"],
        )
        .await?;
        tx.commit().await?;
        Ok(phone)
    }

    /// Change role and scope; every session and token of the user stops working.
    pub async fn set_role(&self, ctx: &Ctx, id: i64, role: Role, scope: &Scope) -> Result<()> {
        let (kind, code) = scope_parts(scope);
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE users SET role = $1, scope_kind = $2, scope_code = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(role.as_str())
        .bind(kind)
        .bind(code)
        .bind(ctx.now_micros)
        .bind(id)
        .execute(&mut *tx.inner)
        .await?;
        exactly_one(&done)?;
        tx.revoke_all_credentials(ctx, id).await?;
        tx.audit(
            ctx,
            "user.set_role",
            "user",
            &id.to_string(),
            &["role", "scope"],
        )
        .await?;
        tx.commit().await
    }

    /// Disable or re-enable; disabling revokes every session and token.
    pub async fn set_disabled(&self, ctx: &Ctx, id: i64, disabled: bool) -> Result<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2 WHERE id = $3")
            .bind(disabled.then_some(ctx.now_micros))
            .bind(ctx.now_micros)
            .bind(id)
            .execute(&mut *tx.inner)
            .await?;
        exactly_one(&done)?;
        if disabled {
            tx.revoke_all_credentials(ctx, id).await?;
        }
        let action = if disabled {
            "user.disable"
        } else {
            "user.enable"
        };
        tx.audit(ctx, action, "user", &id.to_string(), &["disabled_at"])
            .await?;
        tx.commit().await
    }

    pub async fn set_password(&self, ctx: &Ctx, id: i64, password_hash: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let done =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(password_hash)
                .bind(ctx.now_micros)
                .bind(id)
                .execute(&mut *tx.inner)
                .await?;
        exactly_one(&done)?;
        tx.revoke_all_credentials(ctx, id).await?;
        tx.audit(
            ctx,
            "user.set_password",
            "user",
            &id.to_string(),
            &["password_hash"],
        )
        .await?;
        tx.commit().await
    }

    /// Record a login: a new server-side session.
    pub async fn create_session(
        &self,
        ctx: &Ctx,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash)
            .bind(user_id)
            .bind(ctx.now_micros)
            .bind(expires_at)
            .execute(&mut *tx.inner)
            .await?;
        tx.audit(ctx, "auth.login", "user", &user_id.to_string(), &[])
            .await?;
        tx.commit().await
    }

    /// The actor behind a live session: not revoked, not expired, account enabled.
    pub async fn session_actor(&self, token_hash: &str, now: i64) -> Result<Option<Actor>> {
        let sql = format!(
            "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled_at IS NULL",
            prefixed("u")
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .as_ref()
            .map(user_from_row)
            .transpose()?
            .map(|u| u.user.actor()))
    }

    pub async fn end_session(&self, ctx: &Ctx, token_hash: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let user: Option<i64> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL RETURNING user_id",
        )
        .bind(ctx.now_micros)
        .bind(token_hash)
        .fetch_optional(&mut *tx.inner)
        .await?;
        if let Some(user) = user {
            tx.audit(ctx, "auth.logout", "user", &user.to_string(), &[])
                .await?;
        }
        tx.commit().await
    }

    pub async fn create_api_token(
        &self,
        ctx: &Ctx,
        user_id: i64,
        name: &str,
        token_hash: &str,
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(ctx.now_micros)
        .fetch_one(&mut *tx.inner)
        .await?;
        tx.audit(
            ctx,
            "api_token.create",
            "api_token",
            &id.to_string(),
            &["user_id", "name"],
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn api_token_owner(&self, id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT user_id FROM api_tokens WHERE id = $1")
                .bind(id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn department(&self, code: &str) -> Result<Department> {
        let r = sqlx::query(
            "SELECT code, name, name_en, kind, unit_code FROM departments WHERE code = $1",
        )
        .bind(code)
        .fetch_one(&self.pool)
        .await?;
        Ok(Department {
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            name_en: r.try_get("name_en")?,
            kind: r.try_get("kind")?,
            unit: r.try_get("unit_code")?,
        })
    }

    pub async fn token_actor(&self, token_hash: &str) -> Result<Option<Actor>> {
        let sql = format!(
            "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL",
            prefixed("u")
        );
        let row = sqlx::query(&sql)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .as_ref()
            .map(user_from_row)
            .transpose()?
            .map(|u| u.user.actor()))
    }

    pub async fn revoke_api_token(&self, ctx: &Ctx, id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(ctx.now_micros)
        .bind(id)
        .execute(&mut *tx.inner)
        .await?;
        exactly_one(&done)?;
        tx.audit(
            ctx,
            "api_token.revoke",
            "api_token",
            &id.to_string(),
            &["revoked_at"],
        )
        .await?;
        tx.commit().await
    }
}

/// An update by primary key that touched no row names a missing object.
fn exactly_one(done: &sqlx::any::AnyQueryResult) -> Result<()> {
    if done.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

fn prefixed(alias: &str) -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tx {
    pub async fn insert_departments(
        &mut self,
        ctx: &Ctx,
        departments: &[Department],
    ) -> Result<()> {
        for d in departments {
            sqlx::query(
                "INSERT INTO departments (code, name, name_en, kind, unit_code, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&d.code)
            .bind(&d.name)
            .bind(&d.name_en)
            .bind(&d.kind)
            .bind(&d.unit)
            .bind(ctx.now_micros)
            .execute(&mut *self.inner)
            .await?;
            self.audit(
                ctx,
                "department.create",
                "department",
                &d.code,
                &["code", "name", "name_en", "kind", "unit_code"],
            )
            .await?;
        }
        Ok(())
    }

    pub async fn create_user(
        &mut self,
        ctx: &Ctx,
        user: &NewUser,
        password_hash: Option<&str>,
    ) -> Result<i64> {
        let (kind, code) = scope_parts(&user.scope);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (username, display_name, role, scope_kind, scope_code, phone, password_hash, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(kind)
        .bind(code)
        .bind(&user.phone)
        .bind(password_hash)
        .bind(ctx.now_micros)
        .fetch_one(&mut *self.inner)
        .await
        .map_err(|e| match StoreError::from(e) {
            StoreError::Conflict(_) => StoreError::Conflict(format!("username {} is taken", user.username)),
            other => other,
        })?;
        let mut fields = vec!["username", "display_name", "role", "scope"];
        if user.phone.is_some() {
            fields.push("phone");
        }
        if password_hash.is_some() {
            fields.push("password_hash");
        }
        self.audit(ctx, "user.create", "user", &id.to_string(), &fields)
            .await?;
        Ok(id)
    }

    async fn revoke_all_credentials(&mut self, ctx: &Ctx, user_id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(ctx.now_micros)
        .bind(user_id)
        .execute(&mut *self.inner)
        .await?;
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(ctx.now_micros)
        .bind(user_id)
        .execute(&mut *self.inner)
        .await?;
        Ok(())
    }

    /// A setting (e.g. `demo.seed`), written with an audit event.
    pub async fn put_setting(&mut self, ctx: &Ctx, key: &str, value: &str) -> Result<()> {
        self.put_setting_as(ctx, "setting.put", key, value).await
    }

    /// A setting read inside this transaction, for a compare-and-set: its
    /// row locked on PostgreSQL; SQLite's write lock is held already.
    pub async fn setting(&mut self, key: &str) -> Result<Option<String>> {
        let sql = format!(
            "SELECT value FROM settings WHERE key = $1{}",
            self.backend.for_update()
        );
        Ok(sqlx::query_scalar(&sql)
            .bind(key)
            .fetch_optional(&mut *self.inner)
            .await?)
    }

    /// A setting with its own audit action (e.g. `taxonomy.update`).
    pub async fn put_setting_as(
        &mut self,
        ctx: &Ctx,
        action: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = $2",
        )
        .bind(key)
        .bind(value)
        .execute(&mut *self.inner)
        .await?;
        self.audit(ctx, action, "setting", key, &["value"]).await?;
        Ok(())
    }
}

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Settings whose key starts with `prefix`, by key.
    pub async fn settings_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT key, value FROM settings WHERE substr(key, 1, length($1)) = $1 ORDER BY key",
        )
        .bind(prefix)
        .fetch_all(&self.pool)
        .await?)
    }
}

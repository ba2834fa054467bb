//! `GET /admin/api/openapi.json`: the admin API's OpenAPI 3.1 document, generated from the
//! handlers and types by `utoipa` (docs/admin-api.md). Public: it describes the API, it opens
//! nothing. Every operation carries the bearer security scheme and the API's error responses.

use std::sync::OnceLock;

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

use super::{apis, audit, clients, groups, keys, sessions, users};

/// The document, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::to_value(AdminApi::openapi())
            .and_then(|mut doc| {
                link_created_resources(&mut doc);
                serde_json::to_string_pretty(&doc)
            })
            .unwrap_or_else(|e| format!("{{\"error\":\"server_error\",\"error_description\":\"{e}\"}}"))
    })
}

pub async fn get() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

/// The API's one error shape (docs/admin-api.md, "Errors").
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    /// `invalid_request`, `unauthorized`, `invalid_token`, `insufficient_scope`, `not_found`,
    /// `method_not_allowed`, `conflict`, `payload_too_large`, `unsupported_media_type`,
    /// `temporarily_unavailable`, `server_error`.
    pub error: String,
    pub error_description: String,
    /// The request's `X-Request-Id`, also on the server's log lines.
    pub request_id: String,
}

/// One page of a list; `next_cursor` is present while more follow.
macro_rules! page {
    ($name:ident, $item:ty) => {
        #[derive(ToSchema)]
        #[allow(dead_code)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` for the next page; absent on the last one.
            #[schema(nullable = false)]
            pub next_cursor: Option<String>,
        }
    };
}

page!(ClientPage, crate::admin::clients::ClientView);
page!(UserPage, crate::admin::users::UserView);
page!(GroupPage, Group);
page!(MemberPage, GroupMember);
page!(ApiPage, crate::admin::apis::ApiView);
page!(SessionPage, crate::admin::sessions::SessionView);
page!(ConsentPage, crate::admin::sessions::ConsentView);
page!(KeyPage, Key);
page!(EventPage, crate::admin::audit::EventView);

/// A group with its number of members (as `crate::storage::Group` serializes).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Group {
    pub name: String,
    pub created_at: i64,
    pub members: i64,
}

/// One membership (as `crate::storage::GroupMember` serializes).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct GroupMember {
    pub user_id: String,
    pub username: String,
    /// `local`, or the upstream provider that gave it.
    pub source: String,
    pub added_at: i64,
}

/// A signing key and its state (as `crate::keys::KeyInfo` serializes); never the private key.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Key {
    pub kid: String,
    pub alg: String,
    /// `pending`, `active`, `retiring` or `expired`.
    pub state: String,
    pub created_at: i64,
    pub activates_at: i64,
    pub retired_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// A secret made by a rotation, shown this once.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct NewSecret {
    pub client_id: String,
    pub client_secret: String,
}

/// How many sessions a sign-out ended.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Revoked {
    pub sessions_revoked: u64,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portcullis admin API",
        description = "The operators' REST API (docs/admin-api.md). Bearer access tokens of Portcullis with the scope portcullis:admin for the audience {issuer}/admin/api."
    ),
    paths(
        clients::list, clients::create, clients::get, clients::replace, clients::update, clients::delete, clients::rotate_secret,
        users::list, users::create, users::get, users::update, users::delete, users::logout,
        groups::list, groups::create, groups::get, groups::delete, groups::members, groups::add_member, groups::remove_member,
        apis::list, apis::create, apis::get, apis::update, apis::delete, apis::put_scope, apis::delete_scope,
        sessions::list, sessions::revoke, sessions::consents, sessions::revoke_consent,
        keys::list, keys::rotate,
        audit::list,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions)
)]
struct AdminApi;

/// What every operation shares: the bearer scheme, and the error responses in the API's shape.
struct Conventions;

/// The errors any authenticated operation may answer with.
const ERRORS: [(&str, &str); 7] = [
    ("400", "Malformed or invalid input"),
    (
        "401",
        "No bearer token, or not a valid admin API token (WWW-Authenticate: Bearer)",
    ),
    ("403", "The token lacks portcullis:admin"),
    ("404", "No such resource"),
    ("409", "It exists already"),
    ("500", "Internal error"),
    ("503", "The database is unavailable"),
];

/// The errors of an operation that takes a body (docs/admin-api.md, "Errors").
const BODY_ERRORS: [(&str, &str); 2] = [
    (
        "413",
        "The body is larger than security.max_body_bytes (payload_too_large)",
    ),
    (
        "415",
        "The body is not JSON: Content-Type must be application/json (unsupported_media_type)",
    ),
];

/// Where an answer's ids lead (OpenAPI 3.1 §4.8.20, response links): the operations taking them
/// in their path, so that schemathesis's stateful phase follows a created client, user, group or
/// API into its reads, changes and deletion instead of guessing ids. A link takes only ids every
/// such answer has (not a list's first item, nor an API's first scope: there may be none).
/// (source path, method, status, path parameter, where the answer holds its value, targets.)
/// Rows with the same source and target add their parameters to one link.
type LinkRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
);
const LINKS: [LinkRow; 4] = [
    (
        "/admin/api/v1/clients",
        "post",
        "201",
        "client_id",
        "$response.body#/client_id",
        &[
            "/admin/api/v1/clients/{client_id}",
            "/admin/api/v1/clients/{client_id}/secret",
        ],
    ),
    (
        "/admin/api/v1/users",
        "post",
        "201",
        "user_id",
        "$response.body#/id",
        &[
            "/admin/api/v1/users/{user_id}",
            "/admin/api/v1/users/{user_id}/logout",
            "/admin/api/v1/users/{user_id}/consents",
            "/admin/api/v1/users/{user_id}/consents/{client_id}",
            "/admin/api/v1/groups/{name}/members/{user_id}",
        ],
    ),
    (
        "/admin/api/v1/groups",
        "post",
        "201",
        "name",
        "$response.body#/name",
        &[
            "/admin/api/v1/groups/{name}",
            "/admin/api/v1/groups/{name}/members",
            "/admin/api/v1/groups/{name}/members/{user_id}",
        ],
    ),
    (
        "/admin/api/v1/apis",
        "post",
        "201",
        "identifier",
        "$response.body#/identifier",
        &[
            "/admin/api/v1/apis/{identifier}",
            "/admin/api/v1/apis/{identifier}/scopes/{name}",
        ],
    ),
];

/// Every operation of the document (the methods the admin API routes).
fn operations_mut(
    paths: &mut utoipa::openapi::Paths,
) -> impl Iterator<Item = &mut utoipa::openapi::path::Operation> {
    paths.paths.values_mut().flat_map(|item| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
    })
}

/// Every operation's id made unique: `<tag>_<handler>` (handlers of different resources share
/// names).
fn unique_operation_ids(openapi: &mut utoipa::openapi::OpenApi) {
    for op in operations_mut(&mut openapi.paths) {
        let tag = op.tags.as_ref().and_then(|t| t.first()).cloned();
        if let (Some(tag), Some(id)) = (tag, op.operation_id.as_mut()) {
            *id = format!("{tag}_{id}");
        }
    }
}

/// [`LINKS`] added to the answers of `doc` (the document as JSON: utoipa 5.5 writes a Link's
/// `operationId` as `operation_id`, which no tool reads).
fn link_created_resources(doc: &mut serde_json::Value) {
    use serde_json::{Map, Value, json};
    for (source, method, status, param, value, targets) in LINKS {
        let mut ids = Vec::new();
        for target in targets {
            if let Some(item) = doc["paths"][target].as_object() {
                ids.extend(
                    item.values()
                        .filter_map(|op| op["operationId"].as_str())
                        .map(String::from),
                );
            }
        }
        let Some(answer) = doc["paths"][source][method]["responses"][status].as_object_mut() else {
            continue;
        };
        let links = answer.entry("links").or_insert_with(|| Value::Object(Map::new()));
        for id in ids {
            let link = &mut links[id.as_str()];
            if link.is_null() {
                *link = json!({ "operationId": id, "parameters": {} });
            }
            link["parameters"][param] = json!(value);
        }
    }
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        unique_operation_ids(openapi);
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "bearer",
            [crate::admin::ADMIN_SCOPE],
        )]);
        for op in operations_mut(&mut openapi.paths) {
            let body_errors = if op.request_body.is_some() {
                &BODY_ERRORS[..]
            } else {
                &[]
            };
            for &(status, description) in ERRORS.iter().chain(body_errors) {
                let content = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build();
                let response = ResponseBuilder::new()
                    .description(description)
                    .content("application/json", content)
                    .build();
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert(response.into());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every (method, path) the route tables of this folder register, read from their source:
    /// each `resource("/path")` with the `web::<method>()` routes that follow it.
    fn routed() -> BTreeSet<(String, String)> {
        let sources = [
            include_str!("clients.rs"),
            include_str!("users.rs"),
            include_str!("groups.rs"),
            include_str!("apis.rs"),
            include_str!("sessions.rs"),
            include_str!("keys.rs"),
            include_str!("audit.rs"),
        ];
        let mut out = BTreeSet::new();
        for src in sources {
            let table = src.split("pub fn routes").nth(1).unwrap();
            let table = table.split("\n}\n").next().unwrap();
            for chunk in table.split("resource(\"").skip(1) {
                let path = chunk.split('"').next().unwrap();
                for method in ["get", "post", "put", "patch", "delete"] {
                    if chunk.contains(&format!("web::{method}()")) {
                        out.insert((method.to_string(), format!("{}{path}", super::super::BASE)));
                    }
                }
            }
        }
        out
    }

    fn documented() -> BTreeSet<(String, String)> {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let mut out = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                out.insert((method.clone(), path.clone()));
            }
        }
        out
    }

    /// docs/admin-api.md: the document and the routes are the same set, both ways.
    #[test]
    fn openapi_documents_exactly_the_routed_operations() {
        let (routed, documented) = (routed(), documented());
        assert!(routed.len() > 20, "{routed:?}");
        let undocumented: Vec<_> = routed.difference(&documented).collect();
        let unrouted: Vec<_> = documented.difference(&routed).collect();
        assert!(
            undocumented.is_empty(),
            "routed, not documented: {undocumented:?}"
        );
        assert!(unrouted.is_empty(), "documented, not routed: {unrouted:?}");
    }

    /// Stateful fuzzing (`.ci/schemathesis.sh`): operation ids are unique, and a created
    /// client, user, group and API link to every operation on it by id.
    #[test]
    fn created_resources_link_to_the_operations_on_them() {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        let mut ids = BTreeSet::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                let id = op["operationId"].as_str().unwrap().to_string();
                assert!(ids.insert(id.clone()), "operationId {id} twice");
            }
        }
        for (source, method, status, param, value, targets) in LINKS {
            let links = &doc["paths"][source][method]["responses"][status]["links"];
            let mut linked = 0;
            for target in targets {
                for (_, op) in doc["paths"][target].as_object().unwrap() {
                    let id = op["operationId"].as_str().unwrap();
                    assert_eq!(links[id]["operationId"], id, "{source} -> {id}");
                    assert_eq!(links[id]["parameters"][param], value);
                    linked += 1;
                }
            }
            assert!(linked >= 1, "{source}: {links}");
        }
    }

    /// OpenAPI 3.1 with the bearer scheme on every operation and the error shape on its errors.
    #[test]
    fn document_is_openapi_3_1_with_bearer_security() {
        let doc: serde_json::Value = serde_json::from_str(document()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
        assert_eq!(doc["security"][0]["bearer"][0], crate::admin::ADMIN_SCOPE);
        let op = &doc["paths"]["/admin/api/v1/clients"]["get"];
        assert_eq!(
            op["responses"]["401"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ErrorBody"
        );
    }
}

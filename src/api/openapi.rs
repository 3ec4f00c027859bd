//! The OpenAPI 3.1 document of the API, generated from the handlers' annotations and served
//! without a token at `/v1/openapi.json`.

use axum::Json;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::pagination::Link;
use crate::cloud::{Address, Snapshot, Volume, VolumeAttachment};
use crate::cloud::{AvailabilityZone, Image, Instance, InstanceType, Region};
use crate::cloud::{KeyPair, SecurityGroup, SecurityGroupRule};

#[derive(OpenApi)]
#[openapi(
    info(title = "aws-hybrid", version = "1.0", description = "AWS resources of OpenStack projects, with Keystone tokens."),
    paths(
        super::versions::root,
        super::versions::v1,
        super::healthcheck,
        openapi_document,
        super::instances::list,
        super::instances::show,
        super::instances::create,
        super::instances::terminate,
        super::instances::action,
        super::regions::list_regions,
        super::regions::list_availability_zones,
        super::instance_types::list,
        super::instance_types::show,
        super::images::list,
        super::images::show,
        super::image_changes::create,
        super::image_changes::deregister,
        super::image_changes::replace_tags,
        super::instance_operations::console_output,
        super::networks::list_vpcs,
        super::networks::show_vpc,
        super::networks::list_subnets,
        super::networks::show_subnet,
        super::key_pairs::list,
        super::key_pairs::show,
        super::key_pairs::create,
        super::key_pairs::delete,
        super::security_groups::list,
        super::security_groups::show,
        super::security_groups::create,
        super::security_groups::delete,
        super::security_group_rules::list,
        super::security_group_rules::show,
        super::security_group_rules::create,
        super::security_group_rules::delete,
        super::volumes::list,
        super::volumes::show,
        super::volumes::create,
        super::volumes::delete,
        super::volumes::action,
        super::snapshots::list,
        super::snapshots::show,
        super::snapshots::create,
        super::snapshots::delete,
        super::addresses::list,
        super::addresses::show,
        super::addresses::create,
        super::addresses::release,
        super::addresses::action,
        super::well_known::discovery,
        super::well_known::key_set,
    ),
    components(schemas(Instance, Region, AvailabilityZone, InstanceType, Image, Link, ErrorBody, ErrorItem, KeyPair, SecurityGroup, SecurityGroupRule, Volume, VolumeAttachment, Snapshot, Address)),
    modifiers(&TokenAuth),
    security(("keystone_token" = []))
)]
pub struct ApiDoc;

/// Declares the `X-Auth-Token` header as the API's authentication.
struct TokenAuth;

impl utoipa::Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "keystone_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-Auth-Token"))),
        );
    }
}

#[utoipa::path(get, path = "/v1/openapi.json", tag = "versions",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object)))]
pub async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// API-SIG error body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub errors: Vec<ErrorItem>,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorItem {
    pub request_id: String,
    /// `aws-hybrid.<reason>`, stable and documented.
    pub code: String,
    pub status: u16,
    pub title: String,
    pub detail: String,
    pub links: Vec<Link>,
}

#[derive(Serialize, ToSchema)]
pub struct InstanceList {
    pub instances: Vec<Instance>,
    pub instances_links: Option<Vec<Link>>,
}

#[derive(Serialize, ToSchema)]
pub struct InstanceShow {
    pub instance: Instance,
}

#[derive(Serialize, ToSchema)]
pub struct RegionList {
    pub regions: Vec<Region>,
}

#[derive(Serialize, ToSchema)]
pub struct AvailabilityZoneList {
    pub availability_zones: Vec<AvailabilityZone>,
}

#[derive(Serialize, ToSchema)]
pub struct InstanceTypeList {
    pub instance_types: Vec<InstanceType>,
    pub instance_types_links: Option<Vec<Link>>,
}

#[derive(Serialize, ToSchema)]
pub struct InstanceTypeShow {
    pub instance_type: InstanceType,
}

#[derive(Serialize, ToSchema)]
pub struct ImageList {
    pub images: Vec<Image>,
    pub images_links: Option<Vec<Link>>,
}

#[derive(Serialize, ToSchema)]
pub struct ImageShow {
    pub image: Image,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// utoipa names a schema after its Rust type, so two request types with one name end up
    /// as one schema that every operation using either name points to.
    #[test]
    fn create_bodies_have_own_schemas() {
        let document = serde_json::to_value(ApiDoc::openapi()).unwrap();
        let creates = [
            ("/v1/instances", "instance"),
            ("/v1/key-pairs", "key_pair"),
            ("/v1/security-groups", "security_group"),
            (
                "/v1/security-groups/{security_group_id}/rules",
                "security_group_rule",
            ),
            ("/v1/volumes", "volume"),
            ("/v1/snapshots", "snapshot"),
            ("/v1/addresses", "address"),
            ("/v1/images", "image"),
        ];
        for (path, key) in creates {
            let body = &document["paths"][path]["post"]["requestBody"];
            let reference = body["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("POST {path} has no request schema"));
            let name = reference.rsplit('/').next().unwrap();
            let schema = &document["components"]["schemas"][name];
            assert!(
                schema["properties"].get(key).is_some(),
                "POST {path}: schema {name} has no {key:?}: {schema}"
            );
        }
    }
}

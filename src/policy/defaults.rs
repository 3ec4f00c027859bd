//! The default rules, registered in code as oslo.policy services do: one named rule per API
//! operation, in the secure-RBAC personas. A project reader reads, a project member also
//! creates, acts and deletes, and admin may do everything, across projects where the API allows
//! it. Operators override any rule by name in `policy.yaml`.

/// A rule with its default check string and where it applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultRule {
    pub name: &'static str,
    pub check: &'static str,
    pub description: &'static str,
    /// (method, path) pairs of the API operations that enforce the rule; empty for the base
    /// rules that other rules refer to.
    pub operations: &'static [(&'static str, &'static str)],
}

const fn base(name: &'static str, check: &'static str, description: &'static str) -> DefaultRule {
    DefaultRule {
        name,
        check,
        description,
        operations: &[],
    }
}

const fn op(
    name: &'static str,
    check: &'static str,
    description: &'static str,
    operations: &'static [(&'static str, &'static str)],
) -> DefaultRule {
    DefaultRule {
        name,
        check,
        description,
        operations,
    }
}

const READER: &str = "rule:project_reader_or_admin";
const MEMBER: &str = "rule:project_member_or_admin";

/// Every rule the service registers, base rules first.
pub const RULES: &[DefaultRule] = &[
    base("admin_api", "role:admin", "Cloud administrators."),
    base(
        "project_reader_api",
        "role:reader and project_id:%(project_id)s",
        "Readers of the target project. Keystone adds reader to the roles of members and admins.",
    ),
    base(
        "project_member_api",
        "role:member and project_id:%(project_id)s",
        "Members of the target project.",
    ),
    base(
        "project_reader_or_admin",
        "rule:project_reader_api or rule:admin_api",
        "Readers of the target project, or administrators.",
    ),
    base(
        "project_member_or_admin",
        "rule:project_member_api or rule:admin_api",
        "Members of the target project, or administrators.",
    ),
    base(
        "service_api",
        "role:service",
        "Other OpenStack services calling with the service role.",
    ),
    base(
        "default",
        "rule:admin_api",
        "Applies to a rule name that is not registered.",
    ),
    op(
        "aws-hybrid:instance:list",
        READER,
        "List the project's instances.",
        &[("GET", "/v1/instances")],
    ),
    op(
        "aws-hybrid:instance:list:all_projects",
        "rule:admin_api",
        "List the instances of every mapped project, or of another one, with all_projects or project_id in the query.",
        &[("GET", "/v1/instances")],
    ),
    op(
        "aws-hybrid:instance:get",
        READER,
        "Show an instance.",
        &[("GET", "/v1/instances/{instance_id}")],
    ),
    op(
        "aws-hybrid:instance:create",
        MEMBER,
        "Launch instances.",
        &[("POST", "/v1/instances")],
    ),
    op(
        "aws-hybrid:instance:delete",
        MEMBER,
        "Terminate an instance.",
        &[("DELETE", "/v1/instances/{instance_id}")],
    ),
    op(
        "aws-hybrid:instance:action:start",
        MEMBER,
        "Start a stopped instance.",
        &[("POST", "/v1/instances/{instance_id}/action")],
    ),
    op(
        "aws-hybrid:instance:action:stop",
        MEMBER,
        "Stop a running instance.",
        &[("POST", "/v1/instances/{instance_id}/action")],
    ),
    op(
        "aws-hybrid:instance:action:reboot",
        MEMBER,
        "Reboot a running instance.",
        &[("POST", "/v1/instances/{instance_id}/action")],
    ),
    op(
        "aws-hybrid:region:list",
        READER,
        "List the AWS regions and which ones the project may use.",
        &[("GET", "/v1/regions")],
    ),
    op(
        "aws-hybrid:availability-zone:list",
        READER,
        "List the availability zones of the region.",
        &[("GET", "/v1/availability-zones")],
    ),
    op(
        "aws-hybrid:instance-type:list",
        READER,
        "List the instance types offered in the region.",
        &[("GET", "/v1/instance-types")],
    ),
    op(
        "aws-hybrid:instance-type:get",
        READER,
        "Show an instance type.",
        &[("GET", "/v1/instance-types/{instance_type}")],
    ),
    op(
        "aws-hybrid:image:list",
        READER,
        "List images.",
        &[("GET", "/v1/images")],
    ),
    op(
        "aws-hybrid:image:list:all_projects",
        "rule:admin_api",
        "List the images that every mapped project, or another one, created through the service, with all_projects or project_id in the query.",
        &[("GET", "/v1/images")],
    ),
    op(
        "aws-hybrid:image:get",
        READER,
        "Show an image.",
        &[("GET", "/v1/images/{image_id}")],
    ),
    op(
        "aws-hybrid:image:create",
        MEMBER,
        "Create an image from an instance of the project.",
        &[("POST", "/v1/images")],
    ),
    op(
        "aws-hybrid:image:delete",
        MEMBER,
        "Deregister an image the project created.",
        &[("DELETE", "/v1/images/{image_id}")],
    ),
    op(
        "aws-hybrid:image:update",
        MEMBER,
        "Replace the tags of an image the project created.",
        &[("PUT", "/v1/images/{image_id}/tags")],
    ),
    op(
        "aws-hybrid:instance:action:resize",
        MEMBER,
        "Change the instance type of a stopped instance.",
        &[("POST", "/v1/instances/{instance_id}/action")],
    ),
    op(
        "aws-hybrid:instance:console-output",
        MEMBER,
        "Show the console output of an instance. Member, not reader, as in Nova: the output \
         can contain secrets that boot scripts print.",
        &[("GET", "/v1/instances/{instance_id}/console-output")],
    ),
    op(
        "aws-hybrid:vpc:list",
        READER,
        "List the VPCs of the project's AWS account.",
        &[("GET", "/v1/vpcs")],
    ),
    op(
        "aws-hybrid:vpc:get",
        READER,
        "Show a VPC of the project's AWS account.",
        &[("GET", "/v1/vpcs/{vpc_id}")],
    ),
    op(
        "aws-hybrid:subnet:list",
        READER,
        "List the subnets of the project's AWS account.",
        &[("GET", "/v1/subnets")],
    ),
    op(
        "aws-hybrid:subnet:get",
        READER,
        "Show a subnet of the project's AWS account.",
        &[("GET", "/v1/subnets/{subnet_id}")],
    ),
    op(
        "aws-hybrid:key-pair:list",
        READER,
        "List the project's key pairs.",
        &[("GET", "/v1/key-pairs")],
    ),
    op(
        "aws-hybrid:key-pair:list:all_projects",
        "rule:admin_api",
        "List the key pairs of every mapped project, or of another one, with all_projects or project_id in the query.",
        &[("GET", "/v1/key-pairs")],
    ),
    op(
        "aws-hybrid:key-pair:get",
        READER,
        "Show a key pair.",
        &[("GET", "/v1/key-pairs/{key_name}")],
    ),
    op(
        "aws-hybrid:key-pair:create",
        MEMBER,
        "Create a key pair, or import a public key.",
        &[("POST", "/v1/key-pairs")],
    ),
    op(
        "aws-hybrid:key-pair:delete",
        MEMBER,
        "Delete a key pair.",
        &[("DELETE", "/v1/key-pairs/{key_name}")],
    ),
    op(
        "aws-hybrid:security-group:list",
        READER,
        "List the project's security groups.",
        &[("GET", "/v1/security-groups")],
    ),
    op(
        "aws-hybrid:security-group:list:all_projects",
        "rule:admin_api",
        "List the security groups of every mapped project, or of another one, with all_projects or project_id in the query.",
        &[("GET", "/v1/security-groups")],
    ),
    op(
        "aws-hybrid:security-group:get",
        READER,
        "Show a security group with its rules.",
        &[("GET", "/v1/security-groups/{security_group_id}")],
    ),
    op(
        "aws-hybrid:security-group:create",
        MEMBER,
        "Create a security group.",
        &[("POST", "/v1/security-groups")],
    ),
    op(
        "aws-hybrid:security-group:delete",
        MEMBER,
        "Delete a security group.",
        &[("DELETE", "/v1/security-groups/{security_group_id}")],
    ),
    op(
        "aws-hybrid:security-group-rule:list",
        READER,
        "List the rules of a security group.",
        &[("GET", "/v1/security-groups/{security_group_id}/rules")],
    ),
    op(
        "aws-hybrid:security-group-rule:get",
        READER,
        "Show a rule of a security group.",
        &[(
            "GET",
            "/v1/security-groups/{security_group_id}/rules/{security_group_rule_id}",
        )],
    ),
    op(
        "aws-hybrid:security-group-rule:create",
        MEMBER,
        "Add a rule to a security group.",
        &[("POST", "/v1/security-groups/{security_group_id}/rules")],
    ),
    op(
        "aws-hybrid:security-group-rule:delete",
        MEMBER,
        "Remove a rule from a security group.",
        &[(
            "DELETE",
            "/v1/security-groups/{security_group_id}/rules/{security_group_rule_id}",
        )],
    ),
    op(
        "aws-hybrid:volume:list",
        READER,
        "List the project's volumes.",
        &[("GET", "/v1/volumes")],
    ),
    op(
        "aws-hybrid:volume:list:all_projects",
        "rule:admin_api",
        "List the volumes of every mapped project, or of another one, with all_projects or project_id in the query.",
        &[("GET", "/v1/volumes")],
    ),
    op(
        "aws-hybrid:volume:get",
        READER,
        "Show a volume.",
        &[("GET", "/v1/volumes/{volume_id}")],
    ),
    op(
        "aws-hybrid:volume:create",
        MEMBER,
        "Create a volume.",
        &[("POST", "/v1/volumes")],
    ),
    op(
        "aws-hybrid:volume:delete",
        MEMBER,
        "Delete a volume.",
        &[("DELETE", "/v1/volumes/{volume_id}")],
    ),
    op(
        "aws-hybrid:volume:action:attach",
        MEMBER,
        "Attach a volume to an instance of the project.",
        &[("POST", "/v1/volumes/{volume_id}/action")],
    ),
    op(
        "aws-hybrid:volume:action:detach",
        MEMBER,
        "Detach a volume from its instance.",
        &[("POST", "/v1/volumes/{volume_id}/action")],
    ),
    op(
        "aws-hybrid:snapshot:list",
        READER,
        "List the project's snapshots.",
        &[("GET", "/v1/snapshots")],
    ),
    op(
        "aws-hybrid:snapshot:list:all_projects",
        "rule:admin_api",
        "List the snapshots of every mapped project, or of another one, with all_projects or project_id in the query.",
        &[("GET", "/v1/snapshots")],
    ),
    op(
        "aws-hybrid:snapshot:get",
        READER,
        "Show a snapshot.",
        &[("GET", "/v1/snapshots/{snapshot_id}")],
    ),
    op(
        "aws-hybrid:snapshot:create",
        MEMBER,
        "Snapshot a volume of the project.",
        &[("POST", "/v1/snapshots")],
    ),
    op(
        "aws-hybrid:snapshot:delete",
        MEMBER,
        "Delete a snapshot.",
        &[("DELETE", "/v1/snapshots/{snapshot_id}")],
    ),
    op(
        "aws-hybrid:address:list",
        READER,
        "List the project's Elastic IP addresses.",
        &[("GET", "/v1/addresses")],
    ),
    op(
        "aws-hybrid:address:list:all_projects",
        "rule:admin_api",
        "List the Elastic IP addresses of every mapped project, or of another one, with all_projects or project_id in the query.",
        &[("GET", "/v1/addresses")],
    ),
    op(
        "aws-hybrid:address:get",
        READER,
        "Show an Elastic IP address.",
        &[("GET", "/v1/addresses/{allocation_id}")],
    ),
    op(
        "aws-hybrid:address:create",
        MEMBER,
        "Allocate an Elastic IP address.",
        &[("POST", "/v1/addresses")],
    ),
    op(
        "aws-hybrid:address:delete",
        MEMBER,
        "Release an Elastic IP address.",
        &[("DELETE", "/v1/addresses/{allocation_id}")],
    ),
    op(
        "aws-hybrid:address:action:associate",
        MEMBER,
        "Associate an Elastic IP address with an instance or a network interface of the project.",
        &[("POST", "/v1/addresses/{allocation_id}/action")],
    ),
    op(
        "aws-hybrid:address:action:disassociate",
        MEMBER,
        "Disassociate an Elastic IP address.",
        &[("POST", "/v1/addresses/{allocation_id}/action")],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_service_type_convention() {
        for rule in RULES.iter().filter(|r| !r.operations.is_empty()) {
            assert!(rule.name.starts_with("aws-hybrid:"), "{}", rule.name);
            assert!(
                !rule.name.contains('_') || rule.name.ends_with("all_projects"),
                "{}",
                rule.name
            );
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = RULES.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RULES.len());
    }
}

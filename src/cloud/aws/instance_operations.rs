//! Resize and console output of the project's instances.

use async_trait::async_trait;
use aws_sdk_ec2::primitives::DateTimeFormat;
use aws_sdk_ec2::types::AttributeValue;
use base64::Engine;

use super::errors::from_sdk;
use super::{AwsDriver, instances};
use crate::cloud::instance_operations::InstanceOperationsDriver;
use crate::cloud::{CloudError, ConsoleOutput, Scope};

#[async_trait]
impl InstanceOperationsDriver for AwsDriver {
    async fn resize_instance(
        &self,
        scope: Scope<'_>,
        id: &str,
        instance_type: &str,
    ) -> Result<(), CloudError> {
        let instance = instances::get(self, scope, id).await?;
        if instance.state != "stopped" {
            return Err(not_stopped(id, instance.state));
        }
        if instance.instance_type == instance_type {
            tracing::info!(
                instance_id = id,
                instance_type,
                "instance already has the requested type; nothing to do"
            );
            return Ok(());
        }
        let result = self
            .client(scope)
            .await?
            .modify_instance_attribute()
            .instance_id(id)
            .instance_type(AttributeValue::builder().value(instance_type).build())
            .send()
            .await
            .map_err(|e| from_sdk("ModifyInstanceAttribute", e));
        match result {
            Ok(_) => {
                tracing::info!(
                    instance_id = id,
                    from = %instance.instance_type,
                    to = instance_type,
                    "resized instance"
                );
                Ok(())
            }
            // EC2 saw another state than we did; report the one it has now.
            Err(CloudError::InvalidState { .. }) => {
                let current = instances::get(self, scope, id).await?;
                Err(not_stopped(id, current.state))
            }
            Err(other) => Err(other),
        }
    }

    async fn console_output(
        &self,
        scope: Scope<'_>,
        id: &str,
    ) -> Result<ConsoleOutput, CloudError> {
        instances::get(self, scope, id).await?;
        let output = self
            .client(scope)
            .await?
            .get_console_output()
            .instance_id(id)
            .send()
            .await
            .map_err(|e| from_sdk("GetConsoleOutput", e))?;
        let text = match output.output() {
            Some(encoded) => decode_output(encoded).ok_or_else(|| CloudError::Unavailable {
                action: "GetConsoleOutput".into(),
                message: "the console output is not valid base64".into(),
            })?,
            None => String::new(),
        };
        Ok(ConsoleOutput {
            instance_id: id.to_owned(),
            output: text,
            updated_at: output
                .timestamp()
                .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
        })
    }
}

fn not_stopped(id: &str, state: String) -> CloudError {
    CloudError::InvalidState {
        id: id.to_owned(),
        state,
        action: "resize",
    }
}

/// Decode EC2's base64 console output into text. Serial consoles carry arbitrary bytes, so
/// bytes that are not UTF-8 become U+FFFD instead of failing the request.
fn decode_output(encoded: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_decoded_to_text() {
        assert_eq!(decode_output("aGVsbG8K").as_deref(), Some("hello\n"));
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        // 0xff is never valid UTF-8.
        assert_eq!(decode_output("/2hp").as_deref(), Some("\u{fffd}hi"));
    }

    #[test]
    fn invalid_base64_is_rejected() {
        assert!(decode_output("not base64!").is_none());
    }
}

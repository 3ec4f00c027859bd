//! The service as an OpenID Connect identity provider for AWS.
//!
//! With `[oidc] signing_key_file` set, the service signs short-lived tokens whose subject is a
//! Keystone project ID and trades them for role credentials with STS
//! `AssumeRoleWithWebIdentity`. AWS checks the signature against the key set served at
//! `/.well-known/jwks.json`, found through `/.well-known/openid-configuration` under the
//! configured issuer URL, so the operator stores no AWS key at all.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::jwk::{Jwk, JwkSet, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::{Value, json};

use crate::config::OidcOpts;

/// Error loading the signing key. Messages name the file and never show key bytes.
#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    #[error("[oidc] signing_key_file {path}: cannot read it: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "[oidc] signing_key_file {path}: not a PEM private key for {algorithm} ({reason}); give a PKCS#8 EC P-256 key for ES256 (openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256) or an RSA key for RS256, or change [oidc] signing_algorithm"
    )]
    Key {
        path: String,
        algorithm: String,
        reason: String,
    },
}

/// Claims of a project token. `sub` is the Keystone project ID, the value a role's trust policy
/// should require in its `<issuer host>:sub` condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub jti: String,
}

/// Signs project tokens with the configured key and publishes the matching public key.
pub struct Signer {
    key: EncodingKey,
    algorithm: Algorithm,
    key_id: String,
    public_key: Jwk,
    issuer: String,
    audience: String,
    lifetime: u64,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads the key of `[oidc]`. Returns `None` when no signing key is configured.
    pub fn from_config(opts: &OidcOpts) -> Result<Option<Signer>, SignerError> {
        let Some(path) = &opts.signing_key_file else {
            return Ok(None);
        };
        let pem = std::fs::read(path).map_err(|source| SignerError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let issuer = opts.issuer.clone().unwrap_or_default();
        let signer = Self::from_pem(
            &pem,
            &opts.signing_algorithm,
            issuer.trim_end_matches('/'),
            &opts.audience,
            opts.token_lifetime,
        )
        .map_err(|reason| SignerError::Key {
            path: path.display().to_string(),
            algorithm: opts.signing_algorithm.clone(),
            reason,
        })?;
        Ok(Some(signer))
    }

    /// Builds a signer from PEM text. `algorithm` is `ES256` or `RS256`.
    pub fn from_pem(
        pem: &[u8],
        algorithm: &str,
        issuer: &str,
        audience: &str,
        lifetime: u64,
    ) -> Result<Signer, String> {
        let (algorithm, key) = match algorithm {
            "ES256" => (Algorithm::ES256, EncodingKey::from_ec_pem(pem)),
            "RS256" => (Algorithm::RS256, EncodingKey::from_rsa_pem(pem)),
            other => return Err(format!("unsupported algorithm {other}")),
        };
        let key = key.map_err(|error| error.to_string())?;
        let mut public_key =
            Jwk::from_encoding_key(&key, algorithm).map_err(|error| error.to_string())?;
        let key_id = public_key.thumbprint(ThumbprintHash::SHA256);
        public_key.common.key_id = Some(key_id.clone());
        public_key.common.public_key_use = Some(jsonwebtoken::jwk::PublicKeyUse::Signature);
        let signer = Signer {
            key,
            algorithm,
            key_id,
            public_key,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            lifetime,
        };
        // A key that parses but cannot sign (a public key, a wrong curve) fails here, at
        // start, instead of on the first request.
        signer.sign("start-up-check")?;
        Ok(signer)
    }

    /// Signs a token for `project_id`, valid from now for the configured lifetime.
    pub fn sign(&self, project_id: &str) -> Result<String, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let claims = Claims {
            iss: self.issuer.clone(),
            sub: project_id.to_owned(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.lifetime,
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.key_id.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|error| error.to_string())
    }

    /// Returns the JSON Web Key Set with the public half of the signing key.
    pub fn key_set(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.public_key.clone()],
        }
    }

    /// Builds the OpenID discovery document, with the issuer and the key set's URL.
    pub fn discovery_document(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "jwks_uri": format!("{}/.well-known/jwks.json", self.issuer),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [format!("{:?}", self.algorithm)],
            "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti"],
        })
    }
}

/// Reads a key file only to report problems early, for `status upgrade check`.
pub fn check_key_file(opts: &OidcOpts) -> Result<Option<String>, SignerError> {
    Ok(Signer::from_config(opts)?.map(|signer| signer.key_id))
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

    use super::*;

    /// P-256 keys made for these tests only, with
    /// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`.
    const EC_KEY: &str = include_str!("../tests/data/oidc-test-ec.pem");
    const OTHER_EC_KEY: &str = include_str!("../tests/data/oidc-other-ec.pem");
    /// A 2048-bit RSA key made with `openssl genpkey -algorithm RSA`.
    const RSA_KEY: &str = include_str!("../tests/data/oidc-test-rsa.pem");

    fn signer() -> Signer {
        Signer::from_pem(
            EC_KEY.as_bytes(),
            "ES256",
            "http://127.0.0.1:9797",
            "sts.amazonaws.com",
            300,
        )
        .unwrap()
    }

    /// Verifies `token` with the key published in the signer's key set, as AWS does.
    fn verify(signer: &Signer, token: &str) -> Claims {
        let header = decode_header(token).unwrap();
        let set = signer.key_set();
        let jwk = set.find(header.kid.as_deref().unwrap()).unwrap();
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&["sts.amazonaws.com"]);
        validation.set_issuer(&["http://127.0.0.1:9797"]);
        decode::<Claims>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims
    }

    #[test]
    fn token_verifies_against_published_key() {
        let signer = signer();

        let claims = verify(&signer, &signer.sign("project-a").unwrap());

        assert_eq!(claims.sub, "project-a");
        assert_eq!(claims.aud, "sts.amazonaws.com");
        assert_eq!(claims.exp - claims.iat, 300);
    }

    #[test]
    fn token_from_another_key_fails_verification() {
        let signer = signer();
        let other = Signer::from_pem(
            OTHER_EC_KEY.as_bytes(),
            "ES256",
            "http://127.0.0.1:9797",
            "sts.amazonaws.com",
            300,
        )
        .unwrap();
        let token = other.sign("project-a").unwrap();
        let jwk = &signer.key_set().keys[0];
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_audience(&["sts.amazonaws.com"]);

        let result = decode::<Claims>(&token, &DecodingKey::from_jwk(jwk).unwrap(), &validation);

        assert!(result.is_err());
    }

    #[test]
    fn discovery_points_at_key_set() {
        let document = signer().discovery_document();

        assert_eq!(document["issuer"], "http://127.0.0.1:9797");
        assert_eq!(
            document["jwks_uri"],
            "http://127.0.0.1:9797/.well-known/jwks.json"
        );
        assert_eq!(
            document["id_token_signing_alg_values_supported"][0],
            "ES256"
        );
    }

    #[test]
    fn key_set_has_no_private_part() {
        let set = serde_json::to_value(signer().key_set()).unwrap();

        let key = &set["keys"][0];
        assert_eq!(key["kty"], "EC");
        assert_eq!(key["crv"], "P-256");
        assert!(key.get("d").is_none());
        assert_eq!(key["use"], "sig");
    }

    #[test]
    fn rsa_key_publishes_modulus_and_exponent() {
        let signer = Signer::from_pem(RSA_KEY.as_bytes(), "RS256", "http://x", "a", 60).unwrap();

        let set = serde_json::to_value(signer.key_set()).unwrap();

        assert_eq!(set["keys"][0]["kty"], "RSA");
        assert_eq!(set["keys"][0]["e"], "AQAB");
        assert_eq!(
            signer.discovery_document()["id_token_signing_alg_values_supported"][0],
            "RS256"
        );
    }

    #[test]
    fn wrong_algorithm_for_key_rejected() {
        let error = Signer::from_pem(EC_KEY.as_bytes(), "RS256", "http://x", "a", 300).unwrap_err();

        assert!(!error.is_empty());
    }
}

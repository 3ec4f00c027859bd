//! Checks of OpenSSH public keys before they reach EC2's ImportKeyPair, which accepts RSA and
//! Ed25519 keys. Emulators such as moto 5.2.5 fail with HTTP 500 on malformed keys, so the
//! service rejects them itself, naming what is wrong.
//!
//! The format is that of an `authorized_keys` line without options: the algorithm name, the
//! key blob in base64 and an optional comment. The blob is the SSH wire encoding of RFC 4253
//! section 6.6 (`ssh-rsa`: string name, mpint e, mpint n) and RFC 8709 section 4
//! (`ssh-ed25519`: string name, string of 32 key bytes).

use base64::Engine;

/// Smallest RSA modulus accepted, in bits. Shorter RSA keys are too weak to protect a login.
pub const MIN_RSA_BITS: usize = 2048;
/// Largest RSA modulus accepted, in bits: the largest OpenSSH generates.
pub const MAX_RSA_BITS: usize = 16384;
/// Maximum length of a public key line, in bytes. An RSA key of `MAX_RSA_BITS` in base64 with
/// a long comment fits easily.
pub const MAX_LINE_LEN: usize = 16 * 1024;
const ED25519_KEY_BYTES: usize = 32;

/// A public key that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// `rsa` or `ed25519`.
    pub key_type: &'static str,
    /// Modulus size for RSA, 256 for Ed25519.
    pub bits: usize,
}

/// Check `line` and return its key type, or a sentence saying what is wrong. The sentence
/// never repeats the input, which could be a private key sent by mistake.
pub fn parse(line: &str) -> Result<PublicKey, String> {
    let line = line.trim();
    if line.is_empty() {
        return Err(
            "it is empty; send the contents of a .pub file such as ~/.ssh/id_ed25519.pub".into(),
        );
    }
    if line.len() > MAX_LINE_LEN {
        return Err(format!(
            "it is {} bytes long; an OpenSSH public key line is at most {MAX_LINE_LEN} bytes",
            line.len()
        ));
    }
    if line.contains("PRIVATE KEY") {
        return Err("it is a private key; send only the public key (the .pub file, or the output of ssh-keygen -y -f KEYFILE), and replace the private key, which is no longer secret".into());
    }
    if line.starts_with("-----BEGIN") || line.starts_with("---- BEGIN") {
        return Err("it is in PEM or RFC 4716 format; convert it to OpenSSH format with ssh-keygen -i -m PKCS8 -f KEYFILE (or -m RFC4716)".into());
    }
    if line.contains(['\n', '\r']) {
        return Err("it has several lines; send exactly one public key".into());
    }
    if line.chars().any(char::is_control) {
        return Err(
            "it contains control characters; send the key line as ssh-keygen writes it".into(),
        );
    }
    let mut parts = line.split_whitespace();
    let algorithm = parts.next().unwrap_or_default();
    let Some(encoded) = parts.next() else {
        return Err(format!(
            "it has no key data after {algorithm:?}; expected \"<algorithm> <base64 key> [comment]\", e.g. \"ssh-ed25519 AAAAC3Nza... user@host\""
        ));
    };
    match algorithm {
        "ssh-rsa" | "ssh-ed25519" => {}
        "ssh-dss"
        | "ecdsa-sha2-nistp256"
        | "ecdsa-sha2-nistp384"
        | "ecdsa-sha2-nistp521"
        | "sk-ssh-ed25519@openssh.com"
        | "sk-ecdsa-sha2-nistp256@openssh.com" => {
            return Err(format!(
                "its type {algorithm} is not supported by EC2; use an ssh-ed25519 key or an ssh-rsa key of at least {MIN_RSA_BITS} bits"
            ));
        }
        _ => {
            return Err(
                "it does not start with a key type; expected \"ssh-ed25519 AAAA... [comment]\" or \"ssh-rsa AAAA... [comment]\" (authorized_keys options are not accepted)".into(),
            );
        }
    }
    let blob = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| {
            format!(
                "its key data after {algorithm} is not valid base64; copy the whole key line again"
            )
        })?;
    let mut reader = WireReader { rest: &blob };
    let inner = reader.string().map_err(|e| blob_error(algorithm, e))?;
    if inner != algorithm.as_bytes() {
        return Err(format!(
            "its key data does not encode an {algorithm} key (the type inside the data differs); copy the whole key line again"
        ));
    }
    let key = match algorithm {
        "ssh-rsa" => rsa(&mut reader)?,
        _ => ed25519(&mut reader)?,
    };
    if !reader.rest.is_empty() {
        return Err(blob_error(algorithm, "it has extra bytes after the key"));
    }
    Ok(key)
}

fn rsa(reader: &mut WireReader<'_>) -> Result<PublicKey, String> {
    let exponent = reader.mpint().map_err(|e| blob_error("ssh-rsa", e))?;
    let modulus = reader.mpint().map_err(|e| blob_error("ssh-rsa", e))?;
    if exponent.is_empty() || exponent.last().is_some_and(|b| b % 2 == 0) {
        return Err(blob_error(
            "ssh-rsa",
            "its public exponent is not an odd number",
        ));
    }
    let bits = bit_length(modulus);
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "it is an RSA key of {bits} bits; use at least {MIN_RSA_BITS} bits (ssh-keygen -t rsa -b 4096) or an Ed25519 key (ssh-keygen -t ed25519)"
        ));
    }
    if bits > MAX_RSA_BITS {
        return Err(format!(
            "it is an RSA key of {bits} bits; at most {MAX_RSA_BITS} bits are accepted"
        ));
    }
    Ok(PublicKey {
        key_type: "rsa",
        bits,
    })
}

fn ed25519(reader: &mut WireReader<'_>) -> Result<PublicKey, String> {
    let key = reader.string().map_err(|e| blob_error("ssh-ed25519", e))?;
    if key.len() != ED25519_KEY_BYTES {
        return Err(blob_error(
            "ssh-ed25519",
            &format!(
                "its key is {} bytes long instead of {ED25519_KEY_BYTES}",
                key.len()
            ),
        ));
    }
    Ok(PublicKey {
        key_type: "ed25519",
        bits: 256,
    })
}

fn blob_error(algorithm: &str, reason: &str) -> String {
    format!(
        "its key data is not a valid {algorithm} public key: {reason}; copy the whole key line again"
    )
}

/// Number of significant bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    let significant: &[u8] = match bytes.iter().position(|b| *b != 0) {
        Some(first) => &bytes[first..],
        None => return 0,
    };
    significant.len() * 8 - significant[0].leading_zeros() as usize
}

/// Reads the SSH wire encoding of RFC 4251 section 5.
struct WireReader<'a> {
    rest: &'a [u8],
}

impl<'a> WireReader<'a> {
    /// Read a `string`: a 32-bit big-endian length, then that many bytes.
    fn string(&mut self) -> Result<&'a [u8], &'static str> {
        if self.rest.len() < 4 {
            return Err("it ends in the middle of a length field");
        }
        let (length, rest) = self.rest.split_at(4);
        let length = u32::from_be_bytes([length[0], length[1], length[2], length[3]]) as usize;
        if rest.len() < length {
            return Err("a field is longer than the data");
        }
        let (value, rest) = rest.split_at(length);
        self.rest = rest;
        Ok(value)
    }

    /// Read an `mpint` that must be positive: a two's complement string whose top bit is clear.
    fn mpint(&mut self) -> Result<&'a [u8], &'static str> {
        let value = self.string()?;
        if value.first().is_some_and(|b| b & 0x80 != 0) {
            return Err("it has a negative number");
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(fields: &[&[u8]]) -> String {
        let mut blob = Vec::new();
        for field in fields {
            blob.extend_from_slice(&(field.len() as u32).to_be_bytes());
            blob.extend_from_slice(field);
        }
        base64::engine::general_purpose::STANDARD.encode(blob)
    }

    fn rsa_line(modulus_bytes: usize) -> String {
        let mut modulus = vec![0u8];
        modulus.push(0xc1);
        modulus.extend(std::iter::repeat_n(0x5a, modulus_bytes - 1));
        format!(
            "ssh-rsa {} user@host",
            encode(&[b"ssh-rsa", &[0x01, 0x00, 0x01], &modulus])
        )
    }

    #[test]
    fn ed25519_key_is_accepted() {
        let line = format!("ssh-ed25519 {} me", encode(&[b"ssh-ed25519", &[7u8; 32]]));

        assert_eq!(
            parse(&line),
            Ok(PublicKey {
                key_type: "ed25519",
                bits: 256
            })
        );
    }

    #[test]
    fn rsa_key_size_is_measured() {
        assert_eq!(parse(&rsa_line(256)).unwrap().bits, 2048);
        assert_eq!(parse(&rsa_line(512)).unwrap().bits, 4096);
    }

    #[test]
    fn short_rsa_key_is_rejected() {
        let error = parse(&rsa_line(128)).unwrap_err();

        assert!(error.contains("1024 bits"), "{error}");
    }

    #[test]
    fn wrong_inner_type_is_rejected() {
        let line = format!("ssh-rsa {}", encode(&[b"ssh-ed25519", &[7u8; 32]]));

        assert!(parse(&line).unwrap_err().contains("does not encode"));
    }

    #[test]
    fn malformed_keys_are_rejected() {
        let cases = [
            ("", "empty"),
            ("ssh-ed25519", "no key data"),
            ("ssh-ed25519 !!!notbase64", "base64"),
            ("ecdsa-sha2-nistp256 AAAA", "not supported"),
            ("from=\"10.0.0.1\" ssh-ed25519 AAAA", "key type"),
            ("-----BEGIN PUBLIC KEY-----", "PEM"),
            ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl", "private key"),
            ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "valid ssh-ed25519"),
        ];
        for (line, expected) in cases {
            let error = parse(line).unwrap_err();
            assert!(error.contains(expected), "{line:?}: {error}");
        }
    }

    #[test]
    fn trailing_bytes_are_rejected() {
        let line = format!(
            "ssh-ed25519 {}",
            encode(&[b"ssh-ed25519", &[7u8; 32], b"extra"])
        );

        assert!(parse(&line).unwrap_err().contains("extra bytes"));
    }

    #[test]
    fn errors_do_not_repeat_the_key() {
        let secret = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----";

        assert!(!parse(secret).unwrap_err().contains("c2VjcmV0"));
    }
}

//! Secrets at rest: AES-256-GCM under the operator's key. The nonce is the caller's randomness.

use aes_gcm::{Aes256Gcm, Key, KeyInit, Nonce, aead::Aead};
use base64::{Engine, engine::general_purpose::STANDARD};

/// The operator's 256-bit key (`TERN_SECRET_KEY`, 64 hex characters).
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

/// Why a key or a sealed value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("secret key must be 64 hex characters (32 bytes)")]
    BadKey,
    #[error("sealed value is damaged or was sealed with another key")]
    CannotOpen,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    /// Parses 64 hex characters.
    pub fn from_hex(hex_key: &str) -> Result<Self, SecretError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| SecretError::BadKey)?;
        bytes.try_into().map(Self).map_err(|_| SecretError::BadKey)
    }

    /// A key from 32 random bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The key as 64 hex characters, to be written to the key file.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A secret of its own for `purpose` (e.g. an account's sandbox auth token): 32 hex
    /// characters of SHA-256 over this key and the purpose, the same on every node and every
    /// start. Cut to half the hash, so no one can extend it into another purpose's secret.
    pub fn derive(&self, purpose: &str) -> String {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest([self.0.as_slice(), b"\0", purpose.as_bytes()].concat());
        hex::encode(&hash[..16])
    }

    /// Encrypts `plaintext`; the result is base64 of nonce and ciphertext.
    pub fn seal(&self, plaintext: &str, nonce: [u8; 12]) -> String {
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .expect("AES-GCM encrypts any input under 64 GiB");
        STANDARD.encode([nonce.as_slice(), &sealed].concat())
    }

    /// Decrypts what [`SecretKey::seal`] produced.
    pub fn open(&self, sealed: &str) -> Result<String, SecretError> {
        let bytes = STANDARD
            .decode(sealed)
            .map_err(|_| SecretError::CannotOpen)?;
        if bytes.len() < 12 {
            return Err(SecretError::CannotOpen);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0));
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SecretError::CannotOpen)?;
        String::from_utf8(plain).map_err(|_| SecretError::CannotOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let key = SecretKey::from_bytes([7; 32]);
        let sealed = key.seal("auth-token", [1; 12]);
        assert!(!sealed.contains("auth-token"));
        assert_eq!(key.open(&sealed).unwrap(), "auth-token");
        assert_eq!(
            SecretKey::from_bytes([8; 32]).open(&sealed),
            Err(SecretError::CannotOpen)
        );
        assert_eq!(
            SecretKey::from_hex(&key.to_hex())
                .unwrap()
                .open(&sealed)
                .unwrap(),
            "auth-token"
        );
        assert_eq!(SecretKey::from_hex("abc").unwrap_err(), SecretError::BadKey);
    }
}

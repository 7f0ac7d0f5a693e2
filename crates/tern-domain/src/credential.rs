//! API keys, event write keys and passwords: how they look, how they are stored.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use sha2::{Digest, Sha256};

/// A new API key: the secret shown once, and what is stored.
pub struct NewApiKey {
    pub secret: String,
    pub hash: String,
    /// The first characters, stored to tell keys apart in listings.
    pub prefix: String,
}

/// API keys look like `tern_` and 48 hex digits.
pub fn new_api_key(random: [u8; 24]) -> NewApiKey {
    let secret = format!("tern_{}", hex::encode(random));
    NewApiKey {
        hash: api_key_hash(&secret),
        prefix: secret[..13].to_owned(),
        secret,
    }
}

/// The stored form of an API key. Keys carry 192 random bits, so a plain SHA-256 is enough: there
/// is nothing to brute-force, and lookups by hash stay one indexed query.
pub fn api_key_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// An account's event write key: `wk_` and 32 hex digits, used as Basic-auth user name.
pub fn new_write_key(random: [u8; 16]) -> String {
    format!("wk_{}", hex::encode(random))
}

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password must be at least {MIN_PASSWORD_CHARS} characters")]
pub struct WeakPassword;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Hashes `password` with argon2id and the caller's random salt.
pub fn hash_password(password: &str, salt: [u8; 16]) -> Result<String, WeakPassword> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(WeakPassword);
    }
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters")
        .to_string())
}

/// Whether `password` matches a hash from [`hash_password`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_passwords_verify_only_themselves() {
        let key = new_api_key([3; 24]);
        assert!(key.secret.starts_with("tern_") && key.secret.len() == 53);
        assert_eq!(api_key_hash(&key.secret), key.hash);
        assert_ne!(api_key_hash("tern_other"), key.hash);
        let hash = hash_password("correct horse", [9; 16]).unwrap();
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse!", &hash));
        assert_eq!(hash_password("short", [9; 16]), Err(WeakPassword));
    }
}

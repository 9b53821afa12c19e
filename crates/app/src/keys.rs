//! The deployment's ed25519 signing key (audit checkpoints, later permits), kept in a small
//! text file: `daftar-ed25519-secret:<64 hex digits>`.

use ed25519_dalek::SigningKey;

const PREFIX: &str = "daftar-ed25519-secret:";

pub fn generate() -> SigningKey {
    SigningKey::from_bytes(&crate::random_bytes::<32>())
}

pub fn encode(key: &SigningKey) -> String {
    format!("{PREFIX}{}\n", hex::encode(key.to_bytes()))
}

pub fn decode(text: &str) -> Result<SigningKey, String> {
    let hex_part =
        text.trim().strip_prefix(PREFIX).ok_or_else(|| format!("a signing key file starts with {PREFIX}"))?;
    let bytes = hex::decode(hex_part).map_err(|_| "the key is not hexadecimal".to_string())?;
    let bytes: [u8; 32] =
        bytes.try_into().map_err(|_| "the key must be 32 bytes (64 hex digits)".to_string())?;
    Ok(SigningKey::from_bytes(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let key = generate();
        assert_eq!(decode(&encode(&key)).unwrap().to_bytes(), key.to_bytes());
        assert!(decode("nonsense").is_err());
        assert!(decode("daftar-ed25519-secret:abcd").is_err());
    }
}

//! When a second factor is required, and what the ID token's `acr` says (docs/guides/mfa.md,
//! docs/security.md G.1-G.2): a client registered with `require_mfa`, or an authorization request
//! whose `acr_values` name [`ACR_MFA`], needs a login with a second factor. A TOTP code (or a
//! recovery code) after the password counts, and so does a passkey, which always carries user
//! verification (a PIN or biometric on the authenticator, so two factors in one gesture).

use crate::oauth::authorization_request::AuthorizationRequest;
use crate::storage::{AuthMethod, Client};

/// OpenID Provider Authentication Policy Extension 1.0 §4: multi-factor authentication. Asked for
/// with `acr_values`; the ID token's `acr` after a login with a second factor.
pub const ACR_MFA: &str = "http://schemas.openid.net/pape/policies/2007/06/multi-factor";
/// The ID token's `acr` after a login with one factor (a password).
pub const ACR_SINGLE: &str = "urn:portcullis:acr:single-factor";
/// What discovery advertises in `acr_values_supported`.
pub const ACR_VALUES_SUPPORTED: [&str; 2] = [ACR_SINGLE, ACR_MFA];

/// docs/security.md G.1: whether this request needs a second factor: the client requires it, or
/// `acr_values` asks for [`ACR_MFA`] (OpenID Core §3.1.2.1; other values are voluntary and ignored).
pub fn required(client: &Client, request: &AuthorizationRequest) -> bool {
    client.require_mfa || asks_for_mfa(request.acr_values.as_deref())
}

/// Whether space-separated `acr_values` name [`ACR_MFA`].
pub fn asks_for_mfa(acr_values: Option<&str>) -> bool {
    acr_values.is_some_and(|v| v.split(' ').any(|a| a == ACR_MFA))
}

/// Whether a login with these methods used a second factor.
pub fn satisfied(amr: &[AuthMethod]) -> bool {
    amr.iter().any(|m| {
        matches!(
            m,
            AuthMethod::Otp | AuthMethod::HardwareKey | AuthMethod::SoftwareKey
        )
    })
}

/// docs/security.md G.2: the `acr` of a login with these methods.
pub fn acr_for(amr: &[AuthMethod]) -> &'static str {
    if satisfied(amr) { ACR_MFA } else { ACR_SINGLE }
}

/// The methods of a login that added `method` to `amr` (no duplicates, order kept).
pub fn with_method(amr: &[AuthMethod], method: AuthMethod) -> Vec<AuthMethod> {
    let mut out = amr.to_vec();
    if !out.contains(&method) {
        out.push(method);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acr_says_whether_a_second_factor_was_used() {
        assert_eq!(acr_for(&[AuthMethod::Password]), ACR_SINGLE);
        assert_eq!(acr_for(&[AuthMethod::Password, AuthMethod::Otp]), ACR_MFA);
        assert_eq!(acr_for(&[AuthMethod::HardwareKey]), ACR_MFA);
        assert!(asks_for_mfa(Some(
            "urn:other http://schemas.openid.net/pape/policies/2007/06/multi-factor"
        )));
        assert!(!asks_for_mfa(Some("urn:other")));
        assert!(!asks_for_mfa(None));
    }
}

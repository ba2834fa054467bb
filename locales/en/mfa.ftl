# Two-step verification (templates/mfa_*.html, src/endpoints/mfa.rs, mfa_account.rs).
mfa-back-to-account = Back to your account
mfa-required = The app you are signing in to requires a second step. Set up an authenticator app or a passkey to continue.
mfa-totp-heading = Authenticator app
mfa-totp-on-since = On since { $since }.
mfa-recovery-left = { $count ->
    [one] 1 recovery code left.
   *[other] { $count } recovery codes left.
}
mfa-totp-turn-off = Turn off the authenticator app
mfa-totp-hint = Codes from an app such as Google Authenticator, 1Password or Aegis.
mfa-totp-setup = Set up an authenticator app
mfa-passkeys-heading = Passkeys
mfa-passkeys-hint = Sign in with your fingerprint, face, screen lock or a security key.
mfa-passkeys-empty = No passkey yet.
mfa-remove = Remove
mfa-passkey-add = Add a passkey
mfa-signing-in-as = Signing in as { $user }
mfa-continue-to = to continue to { $client }
mfa-use-passkey = Use a passkey
mfa-code-label = Code from your authenticator app, or a recovery code
mfa-verify = Verify
mfa-recovery-title = Your recovery codes
mfa-recovery-heading = Save your recovery codes
mfa-recovery-text = Your authenticator app is on. Each code below signs you in once if you lose your phone. Keep them somewhere safe: they are shown only for a few minutes, only in this browser.
mfa-recovery-saved = I saved them, continue
mfa-recovery-gone-title = Your recovery codes were shown already
mfa-recovery-gone = Recovery codes are shown only for a few minutes after you turn on the authenticator app, and only in the browser that turned it on. To get new ones, turn the authenticator app off on your two-step verification page and set it up again: that makes ten new codes and the old ones stop working.
mfa-recovery-gone-back = Two-step verification
mfa-totp-instructions = Scan the code with your authenticator app, or type the key in, then enter the 6-digit code it shows.
mfa-totp-qr-alt = QR code for your authenticator app
mfa-totp-key = Key:
mfa-totp-code = 6-digit code
mfa-totp-turn-on = Turn on
mfa-wrong-code = That code is not right. Check your authenticator app and try again.
mfa-setup-wrong-code = That code is not right, or the key expired. Start again if it keeps failing.
passkey-not-accepted = The passkey was not accepted.

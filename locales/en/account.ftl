# The account page (templates/account.html, src/http/account_page.rs, src/accounts/).
account-title = Your account
account-profile-heading = Your name and email
account-profile-hint = Apps you allow to see your name or email get these.
account-name = Name
account-email = Email
account-email-verified = (verified)
account-email-not-verified = (not verified)
account-save = Save
account-sessions-heading = Where you’re signed in
account-sessions-hint = Apps that can keep you signed in. Signing out a device ends that app’s access there; you can sign in again at any time.
account-sessions-empty = No app is signed in with your account right now.
account-this-browser = This browser
account-session-offline = Stays signed in after you sign out of { $product } (offline access)
account-session-online = Ends when you sign out of { $product } in the browser you signed in with
account-signed-in-at = Signed in { $time }
account-last-used = Last used { $time }
account-ip = IP
account-sign-out-device = Sign out this device
account-everywhere = Sign out everywhere
account-everywhere-hint = Ends every session above and signs you out of this browser too.
account-apps-heading = Apps you’ve given access to
account-apps-hint = Removing access signs the app out and it will ask for your permission again.
account-apps-empty = You haven’t given any app access to your account.
account-app-can = What { $client } can do
account-allowed-at = Allowed { $time }
account-remove-access = Remove access
account-change-password = Change password
account-password-hint = At least 8 characters. Changing it signs you out on every other device.
account-current-password = Current password
account-new-password = New password
account-confirm-password = Confirm new password
account-mfa-heading = Two-step verification
account-mfa-hint = After your password, a code from an authenticator app or a passkey.
account-mfa-manage = Manage two-step verification

notice-device-signed-out = That device has been signed out.
notice-access-removed = Access removed. The app will ask for your permission next time.
notice-password-changed = Your password has been changed and your other devices have been signed out.
notice-profile-saved = Your name and email have been saved.
notice-profile-email-changed = Saved. Your new email address is not verified yet; apps see it as unverified.
profile-error-name = A name has at most 100 characters and no control characters.
profile-error-email = Enter an email address such as name@example.com.
profile-error-gone = This account no longer exists.
password-wrong-current = Your current password is not correct.
password-locked = Too many attempts. Try again in { $wait }.
password-mismatch = The new passwords do not match.
password-same-as-current = Choose a password different from your current one.
password-policy = Your new { $problem }.

## Scopes, as the consent and account pages describe them (src/oidc/claims.rs)
scope-openid = Sign you in and know who you are
scope-profile = Your name and username
scope-email = Your email address
scope-address = Your postal address
scope-phone = Your phone number
scope-offline-access = Stay signed in and access your data while you are away
scope-groups = The groups you belong to
scope-other = Access granted to this application
scope-access-to = Access to { $scope }

## When a session was last used (src/accounts/devices.rs)
ago-now = just now
ago-minutes = { $count ->
    [one] 1 minute ago
   *[other] { $count } minutes ago
}
ago-hours = { $count ->
    [one] 1 hour ago
   *[other] { $count } hours ago
}
ago-days = { $count ->
    [one] 1 day ago
   *[other] { $count } days ago
}

# The page chrome (templates/base.html) and the pages of signing in and out.
base-help = Help
base-footer = Protected by Portcullis · OpenID Connect
go-to-account = Go to your account
came-from = You came from { $client }.

## templates/login.html
login-title = Sign in
login-continue-to = Sign in to continue to { $client }
login-title-account = Sign in to { $product }
login-account-subtitle = Manage your account, sessions and devices.
login-username = Username
login-password = Password
login-show-password = Show password
login-show = Show
login-hide = Hide
login-submit = Sign in
login-passkey = Sign in with a passkey
login-or = or
login-with-upstream = Sign in with { $provider }
login-upstream-unavailable = (unavailable)

## templates/consent.html
consent-title = Authorize { $client }
consent-heading-host = An app from { $host } wants to access your account
consent-self-named = It calls itself “{ $client }”, a name it chose itself.
consent-trust-host = Continue only if you trust { $host }.
consent-heading = { $client } wants to access your account
consent-website = Website
consent-privacy-policy = Privacy policy
consent-terms = Terms of service
consent-signed-in-as = Signed in as { $user }
consent-will-allow = This will allow { $client } to:
consent-offline-title = Stays connected after you sign out.
consent-offline-text = { $client } can keep using your account while you are away, until you remove its access on your account page. Without this, its access ends when you sign out of { $product }.
consent-deny = Deny
consent-allow = Allow
consent-not-you = Not { $user }?
consent-use-another-account = Use another account
consent-asked-again = You will be asked again next time.
consent-remembered = { $product } will remember your choice.
consent-withdraw = You can withdraw this access at any time on your { $account_page }.
consent-account-page = account page

## templates/logout.html, logged_out.html, logout_stayed.html
logout-title = Sign out
logout-heading = Sign out of { $product }?
logout-ends-session = Signing out ends your { $product } session on this device.
logout-stay = Stay signed in
logged-out-title = Signed out
logged-out-heading = You have signed out.
logged-out-session-ended = Your { $product } session on this device has ended.
logged-out-close = You can close this window now.
stayed-title = Still signed in
stayed-heading = You are still signed in
stayed-continues = You did not sign out. Your session on this device continues.
stayed-client-continues = { $client } can keep using it.
stayed-back-to = Back to { $client }
stayed-back-to-app = Back to the app

## templates/form_post.html
form-post-title = Continuing
form-post-heading = Returning to the application
form-post-message = You are being sent back to the application you came from.
form-post-noscript = JavaScript is turned off. Press Continue to return to the application.
form-post-continue = Continue

## templates/denied.html
denied-title = Access denied
denied-signed-in-as = You are signed in as { $user },
denied-not-allowed = but your account is not allowed to use { $client }: it is limited to members of certain groups.
denied-ask-admin = If you need access, ask your administrator to add you to one of them.
denied-return-to = Return to { $client }

## templates/dev_callback.html
dev-title = Authorization response
dev-badge = Development
dev-heading = Authorization response received
dev-error = The authorization server returned an error to the demo client.
dev-redirected = The authorization server redirected back to the demo client with these parameters.
dev-no-code = No code was issued: error and error_description say why. Start a new authorization request to try again.
dev-exchange = Exchange the code at /token (grant_type=authorization_code) together with the PKCE code_verifier printed by “portcullis serve --dev”. The code is single use and expires after 60 seconds.
dev-set-verifier = Set CODE_VERIFIER to that verifier, then run:

## Scopes on the consent page, with the user's values (src/http/consent_page.rs)
consent-scope-openid = Sign you in as { $user }
consent-scope-profile-name = See your name ({ $name }) and username ({ $user })
consent-scope-profile = See your username ({ $user })
consent-scope-email-value = See your email address ({ $email })
consent-scope-email = See your email address
consent-scope-address = See your postal address
consent-scope-phone = See your phone number
consent-scope-groups = See the groups you belong to
consent-scope-offline-access = Keep access to your account while you are signed out

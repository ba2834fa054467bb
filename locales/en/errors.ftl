# The error page (templates/error.html, src/http/errors.rs) and the errors handlers show on pages.
error-technical-details = Technical details
error-code = Error code
error-description = Description
error-reference = Reference { $reference } at { $time }. If you ask for help, give this reference: it lets the administrator find what happened.

error-form-expired-title = This form has expired
error-form-expired = Go back, reload the page and try again.
error-request-expired-title = This sign-in request has expired
error-request-expired = Go back to the application you came from and start again.
error-server-title = Something went wrong on our side
error-server = Your sign-in could not be finished because of a problem with this service. Try again in a few minutes; if it keeps happening, give the reference below to your administrator.
error-unavailable-title = Temporarily unavailable
error-unavailable = This service is busy or part of it is unavailable right now. Wait a moment and try again.
error-client-title = This app cannot sign you in here
error-client = The app that sent you here is not registered with this sign-in service, or is not allowed to sign people in this way. Go back to the app and contact its support.
error-scope-title = This app asked for more than it may have
error-scope = The app that sent you here asked for access this service does not allow it. Go back to the app and contact its support.
error-request-title = This sign-in link does not work
error-request = The app that sent you here made a request this service cannot complete: the link may be incomplete, damaged or out of date. Go back to the app and start again.
error-too-many-requests-title = Too many requests
error-too-many-requests = Too many sign-in requests came from your network. Wait a minute and try again.
error-not-found-title = Not found
error-session-not-found-title = Session not found
error-session-not-found = This session has already ended, or it does not belong to your account.
error-mfa-first-title = Sign in with your second factor first
error-mfa-first = To remove a second factor, sign out and sign in again with your authenticator app or a passkey.
error-device-not-allowed-title = This device cannot be connected
error-device-not-allowed = Your account may not use this application.
error-device-code-expired-title = This code has expired
error-device-code-expired = The code was already used or is no longer valid. Start again on your device to get a new code.
error-device-off = Device sign-in is not available on this server.
error-upstream-unavailable-title = Sign-in provider unavailable
error-upstream-unavailable = The identity provider cannot be reached right now. Try again in a few minutes.
error-upstream-state-title = This sign-in has expired
error-upstream-state = The answer from the identity provider does not belong to a sign-in started in this browser, or it took too long. Go back to the application and sign in again.
error-upstream-denied-title = Sign-in was not completed
error-upstream-denied = The identity provider did not sign you in (it was cancelled or refused). Go back to the application to try again.
error-upstream-invalid-title = Sign-in could not be verified
error-upstream-invalid = The identity provider's answer could not be verified, so you were not signed in.
error-upstream-unknown-user-title = No account for this identity
error-upstream-unknown-user = You signed in at the identity provider, but there is no account here for you. Ask an administrator to create one.
error-upstream-provision-title = Your account could not be set up
error-upstream-provision = An account here conflicts with your identity at the provider. Ask an administrator to link them.
error-account-disabled-title = Account disabled
error-account-disabled = This account is disabled.

## Messages on the login form (src/endpoints/login.rs, src/accounts/ratelimit.rs)
login-error-invalid = Incorrect username or password.
login-error-stale = This form has expired. Please sign in again.
login-error-no-password = This application signs you in through your organisation's identity provider.
login-error-locked = Too many sign-in attempts. Try again in { $wait }.
login-error-last-chance = One more failed attempt will lock sign-in for { $wait }.
duration-minutes = { $count ->
    [one] { $count } minute
   *[other] { $count } minutes
}
duration-hours = { $count ->
    [one] { $count } hour
   *[other] { $count } hours
}

error-upstream-unknown-title = Unknown sign-in option
error-upstream-unknown = This sign-in option does not exist.
error-upstream-not-offered-title = Sign-in option not available
error-upstream-not-offered = This application does not offer this way of signing in.
error-device-needs-federation = This application needs you to sign in another way (through your organisation's identity provider). Sign out, sign in that way and enter the code again.
error-device-needs-mfa = This application needs two-step verification. Sign out, sign in with your second factor and enter the code again.

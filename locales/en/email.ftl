# Password reset, email verification and sign-up (templates/password_*.html, signup.html,
# src/http/email_pages.rs, src/accounts/{reset,signup,password_policy}.rs).
login-forgot-password = Forgot password?
login-new-here = New here?
login-create-account = Create an account
account-confirm-email-heading = Confirm your email address
account-confirm-email-hint = Your address is not confirmed yet. We can mail you a link to confirm it.
account-send-link = Send the link
notice-verification-sent = If your address can take more mail now, a new link is on its way.
forgot-title = Forgot password
forgot-heading = Forgot your password?
forgot-subtitle = Enter your username or email address. If it belongs to an account, we mail a link to choose a new password.
forgot-login = Username or email address
reset-title = Choose a new password
reset-for = For { $user }. Your other devices will be signed out.
reset-submit = Set password
password-rules = At least { $count } characters; not your username or email address, and not one of the most common passwords.
signup-continue-to = To continue to { $client }
signup-email = Email address
signup-confirm-password = Confirm password
signup-submit = Create account
signup-mail-note = We mail you a link to confirm your address.
signup-bad-username = Choose a username of 1 to 64 characters without spaces.
signup-username-taken = That username is taken. Choose another.
signup-not-available-title = Sign-up is not available
signup-not-available = Accounts for this application are made by its administrators.
error-not-available-title = Not available
reset-not-available = Passwords are reset by your administrator here.
reset-sent-title = Check your mail
reset-sent = If that username or address belongs to an account with an email address, a link to choose a new password is on its way. It works once, for a short time.
reset-done-title = Your password is changed
reset-done = Every device that was signed in to your account has been signed out. Go back to the application and sign in with your new password.
email-verified-title = Your email address is confirmed
email-verified = Thank you. Applications you sign in to from now on see your address as verified.
link-expired-title = This link has expired
link-expired = Links we mail work for a short time only. Ask for a new one.
link-used-title = This link has been used
link-used = Each link works once, and only until your account changes. Ask for a new one if you need it.
link-invalid-title = This link is not valid
link-invalid = Check that you opened the whole link from the mail, or ask for a new one.
password-too-short = Your new password must be at least { $count } characters long.
password-too-long = Your new password must be at most { $count } characters long.
password-same-as-name = Your new password must not be your username or email address.
password-common = Your new password is one of the most common passwords, which attackers try first: choose another.

# The mails (templates/mail/*.txt, subjects in src/accounts/reset.rs and verify.rs), plain text,
# in the language of the request that caused them.
mail-hello = Hello { $username },
mail-reset-subject = Reset your password
mail-reset-asked = Someone asked to reset the password of your account at { $issuer }.
mail-reset-open = To choose a new password, open this link within { $valid_for }:
mail-reset-once = The link works once, and stops working as soon as your password changes.
mail-reset-ignore = If you did not ask for this, you can ignore this mail: your password stays as it is.
mail-verify-subject = Confirm your email address
mail-verify-asked = Please confirm that this address belongs to your account at { $issuer }
mail-verify-open = by opening this link within { $valid_for }:
mail-verify-once = The link works once. If you did not ask for this, you can ignore this mail.

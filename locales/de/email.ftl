# Passwort zurücksetzen, E-Mail-Bestätigung und Registrierung (templates/password_*.html, signup.html,
# src/http/email_pages.rs, src/accounts/{reset,signup,password_policy}.rs).
login-forgot-password = Passwort vergessen?
login-new-here = Neu hier?
login-create-account = Konto erstellen
account-confirm-email-heading = Bestätigen Sie Ihre E-Mail-Adresse
account-confirm-email-hint = Ihre Adresse ist noch nicht bestätigt. Wir können Ihnen einen Link zur Bestätigung schicken.
account-send-link = Link senden
notice-verification-sent = Sofern Ihre Adresse gerade weitere E-Mails annehmen kann, ist ein neuer Link unterwegs.
forgot-title = Passwort vergessen
forgot-heading = Passwort vergessen?
forgot-subtitle = Geben Sie Ihren Benutzernamen oder Ihre E-Mail-Adresse ein. Gehört sie zu einem Konto, schicken wir Ihnen einen Link, mit dem Sie ein neues Passwort wählen können.
forgot-login = Benutzername oder E-Mail-Adresse
reset-title = Neues Passwort wählen
reset-for = Für { $user }. Ihre anderen Geräte werden abgemeldet.
reset-submit = Passwort festlegen
password-rules = Mindestens { $count } Zeichen; nicht Ihr Benutzername oder Ihre E-Mail-Adresse und keines der häufigsten Passwörter.
signup-continue-to = Um mit { $client } fortzufahren
signup-email = E-Mail-Adresse
signup-confirm-password = Passwort bestätigen
signup-submit = Konto erstellen
signup-mail-note = Wir schicken Ihnen einen Link, um Ihre Adresse zu bestätigen.
signup-bad-username = Wählen Sie einen Benutzernamen mit 1 bis 64 Zeichen ohne Leerzeichen.
signup-username-taken = Dieser Benutzername ist vergeben. Wählen Sie einen anderen.
signup-not-available-title = Registrierung nicht verfügbar
signup-not-available = Konten für diese Anwendung werden von ihrer Administration angelegt.
error-not-available-title = Nicht verfügbar
reset-not-available = Passwörter werden hier von Ihrer Administration zurückgesetzt.
reset-sent-title = Sehen Sie in Ihr Postfach
reset-sent = Gehört dieser Benutzername oder diese Adresse zu einem Konto mit E-Mail-Adresse, ist ein Link zum Wählen eines neuen Passworts unterwegs. Er funktioniert einmal und nur für kurze Zeit.
reset-done-title = Ihr Passwort wurde geändert
reset-done = Alle Geräte, die bei Ihrem Konto angemeldet waren, wurden abgemeldet. Kehren Sie zur Anwendung zurück und melden Sie sich mit Ihrem neuen Passwort an.
email-verified-title = Ihre E-Mail-Adresse ist bestätigt
email-verified = Vielen Dank. Anwendungen, bei denen Sie sich ab jetzt anmelden, sehen Ihre Adresse als bestätigt.
link-expired-title = Dieser Link ist abgelaufen
link-expired = Links, die wir per E-Mail senden, gelten nur kurze Zeit. Fordern Sie einen neuen an.
link-used-title = Dieser Link wurde bereits verwendet
link-used = Jeder Link funktioniert einmal und nur, solange sich Ihr Konto nicht ändert. Fordern Sie bei Bedarf einen neuen an.
link-invalid-title = Dieser Link ist ungültig
link-invalid = Prüfen Sie, ob Sie den vollständigen Link aus der E-Mail geöffnet haben, oder fordern Sie einen neuen an.
password-too-short = Ihr neues Passwort muss mindestens { $count } Zeichen lang sein.
password-too-long = Ihr neues Passwort darf höchstens { $count } Zeichen lang sein.
password-same-as-name = Ihr neues Passwort darf nicht Ihr Benutzername oder Ihre E-Mail-Adresse sein.
password-common = Ihr neues Passwort gehört zu den häufigsten Passwörtern, die Angreifer zuerst ausprobieren: Wählen Sie ein anderes.

# Die Mails (templates/mail/*.txt, Betreffzeilen in src/accounts/reset.rs und verify.rs), reiner
# Text, in der Sprache der Anfrage, die sie ausgelöst hat.
mail-hello = Hallo { $username },
mail-reset-subject = Passwort zurücksetzen
mail-reset-asked = jemand möchte das Passwort Ihres Kontos bei { $issuer } zurücksetzen.
mail-reset-open = Um ein neues Passwort zu wählen, öffnen Sie innerhalb von { $valid_for } diesen Link:
mail-reset-once = Der Link funktioniert einmal und nicht mehr, sobald sich Ihr Passwort ändert.
mail-reset-ignore = Wenn Sie das nicht angefordert haben, können Sie diese Mail ignorieren: Ihr Passwort bleibt, wie es ist.
mail-verify-subject = Bestätigen Sie Ihre E-Mail-Adresse
mail-verify-asked = bitte bestätigen Sie, dass diese Adresse zu Ihrem Konto bei { $issuer } gehört,
mail-verify-open = indem Sie innerhalb von { $valid_for } diesen Link öffnen:
mail-verify-once = Der Link funktioniert einmal. Wenn Sie das nicht angefordert haben, können Sie diese Mail ignorieren.

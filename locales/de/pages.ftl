# Der Seitenrahmen (templates/base.html) und die Seiten zum An- und Abmelden.
base-help = Hilfe
base-footer = Geschützt durch Portcullis · OpenID Connect
go-to-account = Zu Ihrem Konto
came-from = Sie kommen von { $client }.

## templates/login.html
login-title = Anmelden
login-continue-to = Melden Sie sich an, um mit { $client } fortzufahren
login-title-account = Bei { $product } anmelden
login-account-subtitle = Verwalten Sie Ihr Konto, Ihre Sitzungen und Geräte.
login-username = Benutzername
login-password = Passwort
login-show-password = Passwort anzeigen
login-show = Anzeigen
login-hide = Verbergen
login-submit = Anmelden
login-passkey = Mit einem Passkey anmelden
login-or = oder
login-with-upstream = Mit { $provider } anmelden
login-upstream-unavailable = (nicht verfügbar)

## templates/consent.html
consent-title = { $client } autorisieren
consent-heading-host = Eine App von { $host } möchte auf Ihr Konto zugreifen
consent-self-named = Sie nennt sich „{ $client }“, einen Namen, den sie selbst gewählt hat.
consent-trust-host = Fahren Sie nur fort, wenn Sie { $host } vertrauen.
consent-heading = { $client } möchte auf Ihr Konto zugreifen
consent-website = Website
consent-privacy-policy = Datenschutzerklärung
consent-terms = Nutzungsbedingungen
consent-signed-in-as = Angemeldet als { $user }
consent-will-allow = Damit erlauben Sie { $client }:
consent-offline-title = Bleibt nach der Abmeldung verbunden.
consent-offline-text = { $client } kann Ihr Konto auch in Ihrer Abwesenheit weiter nutzen, bis Sie den Zugriff auf Ihrer Kontoseite entfernen. Ohne dies endet der Zugriff, wenn Sie sich von { $product } abmelden.
consent-deny = Ablehnen
consent-allow = Erlauben
consent-not-you = Nicht { $user }?
consent-use-another-account = Anderes Konto verwenden
consent-asked-again = Sie werden beim nächsten Mal erneut gefragt.
consent-remembered = { $product } merkt sich Ihre Entscheidung.
consent-withdraw = Sie können diesen Zugriff jederzeit auf Ihrer { $account_page } widerrufen.
consent-account-page = Kontoseite

## templates/logout.html, logged_out.html, logout_stayed.html
logout-title = Abmelden
logout-heading = Von { $product } abmelden?
logout-ends-session = Mit der Abmeldung endet Ihre { $product }-Sitzung auf diesem Gerät.
logout-stay = Angemeldet bleiben
logged-out-title = Abgemeldet
logged-out-heading = Sie haben sich abgemeldet.
logged-out-session-ended = Ihre { $product }-Sitzung auf diesem Gerät ist beendet.
logged-out-close = Sie können dieses Fenster jetzt schließen.
stayed-title = Weiterhin angemeldet
stayed-heading = Sie sind weiterhin angemeldet
stayed-continues = Sie haben sich nicht abgemeldet. Ihre Sitzung auf diesem Gerät bleibt bestehen.
stayed-client-continues = { $client } kann sie weiter nutzen.
stayed-back-to = Zurück zu { $client }
stayed-back-to-app = Zurück zur App

## templates/form_post.html
form-post-title = Weiterleitung
form-post-heading = Zurück zur Anwendung
form-post-message = Sie werden zu der Anwendung zurückgeleitet, von der Sie gekommen sind.
form-post-noscript = JavaScript ist ausgeschaltet. Klicken Sie auf „Weiter“, um zur Anwendung zurückzukehren.
form-post-continue = Weiter

## templates/denied.html
denied-title = Zugriff verweigert
denied-signed-in-as = Sie sind als { $user } angemeldet,
denied-not-allowed = aber Ihr Konto darf { $client } nicht verwenden: Der Zugang ist auf Mitglieder bestimmter Gruppen beschränkt.
denied-ask-admin = Wenn Sie Zugriff benötigen, bitten Sie Ihre Administration, Sie einer dieser Gruppen hinzuzufügen.
denied-return-to = Zurück zu { $client }

## templates/dev_callback.html
dev-title = Autorisierungsantwort
dev-badge = Entwicklung
dev-heading = Autorisierungsantwort erhalten
dev-error = Der Autorisierungsserver hat dem Demo-Client einen Fehler zurückgegeben.
dev-redirected = Der Autorisierungsserver hat mit diesen Parametern zum Demo-Client zurückgeleitet.
dev-no-code = Es wurde kein Code ausgestellt: error und error_description nennen den Grund. Starten Sie eine neue Autorisierungsanfrage, um es erneut zu versuchen.
dev-exchange = Tauschen Sie den code an /token (grant_type=authorization_code) zusammen mit dem PKCE-code_verifier ein, den „portcullis serve --dev“ ausgegeben hat. Der Code ist nur einmal gültig und läuft nach 60 Sekunden ab.
dev-set-verifier = Setzen Sie CODE_VERIFIER auf diesen Verifier und führen Sie dann aus:

## Scopes auf der Zustimmungsseite, mit den Werten des Benutzers (src/http/consent_page.rs)
consent-scope-openid = Sie als { $user } anmelden
consent-scope-profile-name = Ihren Namen ({ $name }) und Benutzernamen ({ $user }) sehen
consent-scope-profile = Ihren Benutzernamen ({ $user }) sehen
consent-scope-email-value = Ihre E-Mail-Adresse ({ $email }) sehen
consent-scope-email = Ihre E-Mail-Adresse sehen
consent-scope-address = Ihre Postanschrift sehen
consent-scope-phone = Ihre Telefonnummer sehen
consent-scope-groups = Die Gruppen sehen, denen Sie angehören
consent-scope-offline-access = Auf Ihr Konto zugreifen, auch während Sie abgemeldet sind

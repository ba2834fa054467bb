# Die Kontoseite (templates/account.html, src/http/account_page.rs, src/accounts/).
account-title = Ihr Konto
account-profile-heading = Ihr Name und Ihre E-Mail-Adresse
account-profile-hint = Apps, denen Sie erlauben, Ihren Namen oder Ihre E-Mail-Adresse zu sehen, erhalten diese Angaben.
account-name = Name
account-email = E-Mail-Adresse
account-email-verified = (bestätigt)
account-email-not-verified = (nicht bestätigt)
account-save = Speichern
account-sessions-heading = Wo Sie angemeldet sind
account-sessions-hint = Apps, die Sie angemeldet halten können. Wenn Sie ein Gerät abmelden, endet dort der Zugriff dieser App; Sie können sich jederzeit wieder anmelden.
account-sessions-empty = Derzeit ist keine App mit Ihrem Konto angemeldet.
account-this-browser = Dieser Browser
account-session-offline = Bleibt angemeldet, nachdem Sie sich von { $product } abmelden (Offline-Zugriff)
account-session-online = Endet, wenn Sie sich in dem Browser, mit dem Sie sich angemeldet haben, von { $product } abmelden
account-signed-in-at = Angemeldet am { $time }
account-last-used = Zuletzt verwendet: { $time }
account-ip = IP
account-sign-out-device = Dieses Gerät abmelden
account-everywhere = Überall abmelden
account-everywhere-hint = Beendet alle oben genannten Sitzungen und meldet Sie auch in diesem Browser ab.
account-apps-heading = Apps, denen Sie Zugriff gewährt haben
account-apps-hint = Wenn Sie den Zugriff entfernen, wird die App abgemeldet und bittet Sie erneut um Ihre Erlaubnis.
account-apps-empty = Sie haben noch keiner App Zugriff auf Ihr Konto gewährt.
account-app-can = Was { $client } darf
account-allowed-at = Erlaubt am { $time }
account-remove-access = Zugriff entfernen
account-change-password = Passwort ändern
account-password-hint = Mindestens 8 Zeichen. Eine Änderung meldet Sie auf allen anderen Geräten ab.
account-current-password = Aktuelles Passwort
account-new-password = Neues Passwort
account-confirm-password = Neues Passwort bestätigen
account-mfa-heading = Zweistufige Anmeldung
account-mfa-hint = Nach Ihrem Passwort ein Code aus einer Authenticator-App oder ein Passkey.
account-mfa-manage = Zweistufige Anmeldung verwalten

notice-device-signed-out = Das Gerät wurde abgemeldet.
notice-access-removed = Zugriff entfernt. Die App wird Sie beim nächsten Mal erneut um Erlaubnis bitten.
notice-password-changed = Ihr Passwort wurde geändert und Ihre anderen Geräte wurden abgemeldet.
notice-profile-saved = Ihr Name und Ihre E-Mail-Adresse wurden gespeichert.
notice-profile-email-changed = Gespeichert. Ihre neue E-Mail-Adresse ist noch nicht bestätigt; Apps sehen sie als unbestätigt.
profile-error-name = Ein Name hat höchstens 100 Zeichen und keine Steuerzeichen.
profile-error-email = Geben Sie eine E-Mail-Adresse wie name@example.com ein.
profile-error-gone = Dieses Konto existiert nicht mehr.
password-wrong-current = Ihr aktuelles Passwort ist nicht korrekt.
password-locked = Zu viele Versuche. Versuchen Sie es in { $wait } erneut.
password-mismatch = Die neuen Passwörter stimmen nicht überein.
password-same-as-current = Wählen Sie ein anderes Passwort als Ihr aktuelles.
password-policy = Das neue Passwort erfüllt die Vorgaben nicht: Es muss mindestens 8 und höchstens 1024 Zeichen lang sein.

## Scopes, wie die Zustimmungs- und die Kontoseite sie beschreiben (src/oidc/claims.rs)
scope-openid = Sie anmelden und wissen, wer Sie sind
scope-profile = Ihren Namen und Benutzernamen
scope-email = Ihre E-Mail-Adresse
scope-address = Ihre Postanschrift
scope-phone = Ihre Telefonnummer
scope-offline-access = Angemeldet bleiben und in Ihrer Abwesenheit auf Ihre Daten zugreifen
scope-groups = Die Gruppen, denen Sie angehören
scope-other = Zugriff, der dieser Anwendung gewährt wurde
scope-access-to = Zugriff auf { $scope }

## Wann eine Sitzung zuletzt verwendet wurde (src/accounts/devices.rs)
ago-now = gerade eben
ago-minutes = { $count ->
    [one] vor 1 Minute
   *[other] vor { $count } Minuten
}
ago-hours = { $count ->
    [one] vor 1 Stunde
   *[other] vor { $count } Stunden
}
ago-days = { $count ->
    [one] vor 1 Tag
   *[other] vor { $count } Tagen
}

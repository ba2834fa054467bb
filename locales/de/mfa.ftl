# Zweistufige Anmeldung (templates/mfa_*.html, src/endpoints/mfa.rs, mfa_account.rs).
mfa-back-to-account = Zurück zu Ihrem Konto
mfa-required = Die App, bei der Sie sich anmelden, verlangt einen zweiten Schritt. Richten Sie eine Authenticator-App oder einen Passkey ein, um fortzufahren.
mfa-totp-heading = Authenticator-App
mfa-totp-on-since = Aktiv seit { $since }.
mfa-recovery-left = { $count ->
    [one] Noch 1 Wiederherstellungscode übrig.
   *[other] Noch { $count } Wiederherstellungscodes übrig.
}
mfa-totp-turn-off = Authenticator-App ausschalten
mfa-totp-hint = Codes aus einer App wie Google Authenticator, 1Password oder Aegis.
mfa-totp-setup = Authenticator-App einrichten
mfa-passkeys-heading = Passkeys
mfa-passkeys-hint = Melden Sie sich mit Fingerabdruck, Gesicht, Bildschirmsperre oder einem Sicherheitsschlüssel an.
mfa-passkeys-empty = Noch kein Passkey.
mfa-remove = Entfernen
mfa-passkey-add = Passkey hinzufügen
mfa-signing-in-as = Anmeldung als { $user }
mfa-continue-to = um mit { $client } fortzufahren
mfa-use-passkey = Passkey verwenden
mfa-code-label = Code aus Ihrer Authenticator-App oder ein Wiederherstellungscode
mfa-verify = Bestätigen
mfa-recovery-title = Ihre Wiederherstellungscodes
mfa-recovery-heading = Speichern Sie Ihre Wiederherstellungscodes
mfa-recovery-text = Ihre Authenticator-App ist aktiv. Jeder der folgenden Codes meldet Sie einmal an, falls Sie Ihr Telefon verlieren. Bewahren Sie sie sicher auf: Sie werden nur wenige Minuten lang angezeigt, nur in diesem Browser.
mfa-recovery-saved = Gespeichert, weiter
mfa-recovery-gone-title = Ihre Wiederherstellungscodes wurden bereits angezeigt
mfa-recovery-gone = Wiederherstellungscodes werden nur einige Minuten nach dem Einschalten der Authenticator-App angezeigt, und nur in dem Browser, der sie eingeschaltet hat. Für neue Codes schalten Sie die Authenticator-App auf der Seite zur zweistufigen Anmeldung aus und richten Sie sie erneut ein: Das erzeugt zehn neue Codes, und die alten gelten nicht mehr.
mfa-recovery-gone-back = Zweistufige Anmeldung
mfa-totp-instructions = Scannen Sie den Code mit Ihrer Authenticator-App oder geben Sie den Schlüssel ein und tragen Sie dann den 6-stelligen Code ein, den sie anzeigt.
mfa-totp-qr-alt = QR-Code für Ihre Authenticator-App
mfa-totp-key = Schlüssel:
mfa-totp-code = 6-stelliger Code
mfa-totp-turn-on = Einschalten
mfa-wrong-code = Dieser Code ist nicht richtig. Prüfen Sie Ihre Authenticator-App und versuchen Sie es erneut.
mfa-setup-wrong-code = Dieser Code ist nicht richtig, oder der Schlüssel ist abgelaufen. Beginnen Sie von vorn, wenn es weiterhin fehlschlägt.
passkey-not-accepted = Der Passkey wurde nicht akzeptiert.

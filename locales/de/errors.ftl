# Die Fehlerseite (templates/error.html, src/http/errors.rs) und Fehler, die Handler auf Seiten zeigen.
error-technical-details = Technische Details
error-code = Fehlercode
error-description = Beschreibung
error-reference = Referenz { $reference } vom { $time }. Wenn Sie Hilfe benötigen, geben Sie diese Referenz an: Damit kann die Administration nachvollziehen, was passiert ist.

error-form-expired-title = Dieses Formular ist abgelaufen
error-form-expired = Gehen Sie zurück, laden Sie die Seite neu und versuchen Sie es erneut.
error-request-expired-title = Diese Anmeldeanfrage ist abgelaufen
error-request-expired = Kehren Sie zu der Anwendung zurück, von der Sie gekommen sind, und beginnen Sie erneut.
error-server-title = Bei uns ist etwas schiefgelaufen
error-server = Ihre Anmeldung konnte wegen eines Problems mit diesem Dienst nicht abgeschlossen werden. Versuchen Sie es in einigen Minuten erneut; wenn das Problem bestehen bleibt, geben Sie Ihrer Administration die unten stehende Referenz.
error-unavailable-title = Vorübergehend nicht verfügbar
error-unavailable = Dieser Dienst ist ausgelastet oder teilweise nicht verfügbar. Warten Sie einen Moment und versuchen Sie es erneut.
error-client-title = Diese App kann Sie hier nicht anmelden
error-client = Die App, die Sie hierher geschickt hat, ist bei diesem Anmeldedienst nicht registriert oder darf Personen nicht auf diese Weise anmelden. Kehren Sie zur App zurück und wenden Sie sich an deren Support.
error-scope-title = Diese App verlangt mehr, als ihr zusteht
error-scope = Die App, die Sie hierher geschickt hat, hat einen Zugriff angefordert, den dieser Dienst ihr nicht erlaubt. Kehren Sie zur App zurück und wenden Sie sich an deren Support.
error-request-title = Dieser Anmeldelink funktioniert nicht
error-request = Die App, die Sie hierher geschickt hat, hat eine Anfrage gestellt, die dieser Dienst nicht ausführen kann: Der Link ist möglicherweise unvollständig, beschädigt oder veraltet. Kehren Sie zur App zurück und beginnen Sie erneut.
error-too-many-requests-title = Zu viele Anfragen
error-too-many-requests = Aus Ihrem Netzwerk kamen zu viele Anmeldeanfragen. Warten Sie eine Minute und versuchen Sie es erneut.
error-not-found-title = Nicht gefunden
error-session-not-found-title = Sitzung nicht gefunden
error-session-not-found = Diese Sitzung ist bereits beendet oder gehört nicht zu Ihrem Konto.
error-mfa-first-title = Melden Sie sich zuerst mit Ihrem zweiten Faktor an
error-mfa-first = Um einen zweiten Faktor zu entfernen, melden Sie sich ab und mit Ihrer Authenticator-App oder einem Passkey erneut an.
error-device-not-allowed-title = Dieses Gerät kann nicht verbunden werden
error-device-not-allowed = Ihr Konto darf diese Anwendung nicht verwenden.
error-device-code-expired-title = Dieser Code ist abgelaufen
error-device-code-expired = Der Code wurde bereits verwendet oder ist nicht mehr gültig. Beginnen Sie auf Ihrem Gerät erneut, um einen neuen Code zu erhalten.
error-device-off = Die Geräteanmeldung ist auf diesem Server nicht verfügbar.
error-upstream-unavailable-title = Anmeldedienst nicht verfügbar
error-upstream-unavailable = Der Identitätsanbieter ist gerade nicht erreichbar. Versuchen Sie es in einigen Minuten erneut.
error-upstream-state-title = Diese Anmeldung ist abgelaufen
error-upstream-state = Die Antwort des Identitätsanbieters gehört zu keiner Anmeldung, die in diesem Browser begonnen wurde, oder sie hat zu lange gedauert. Kehren Sie zur Anwendung zurück und melden Sie sich erneut an.
error-upstream-denied-title = Die Anmeldung wurde nicht abgeschlossen
error-upstream-denied = Der Identitätsanbieter hat Sie nicht angemeldet (abgebrochen oder abgelehnt). Kehren Sie zur Anwendung zurück, um es erneut zu versuchen.
error-upstream-invalid-title = Die Anmeldung konnte nicht überprüft werden
error-upstream-invalid = Die Antwort des Identitätsanbieters konnte nicht überprüft werden, daher wurden Sie nicht angemeldet.
error-upstream-unknown-user-title = Kein Konto für diese Identität
error-upstream-unknown-user = Sie haben sich beim Identitätsanbieter angemeldet, aber hier gibt es kein Konto für Sie. Bitten Sie Ihre Administration, eines anzulegen.
error-upstream-provision-title = Ihr Konto konnte nicht eingerichtet werden
error-upstream-provision = Ein Konto hier steht im Konflikt mit Ihrer Identität beim Anbieter. Bitten Sie Ihre Administration, beide zu verknüpfen.
error-account-disabled-title = Konto deaktiviert
error-account-disabled = Dieses Konto ist deaktiviert.

## Meldungen im Anmeldeformular (src/endpoints/login.rs, src/accounts/ratelimit.rs)
login-error-invalid = Benutzername oder Passwort ist falsch.
login-error-stale = Dieses Formular ist abgelaufen. Bitte melden Sie sich erneut an.
login-error-no-password = Diese Anwendung meldet Sie über den Identitätsanbieter Ihrer Organisation an.
login-error-locked = Zu viele Anmeldeversuche. Versuchen Sie es in { $wait } erneut.
login-error-last-chance = Ein weiterer Fehlversuch sperrt die Anmeldung für { $wait }.
duration-minutes = { $count ->
    [one] { $count } Minute
   *[other] { $count } Minuten
}
duration-hours = { $count ->
    [one] { $count } Stunde
   *[other] { $count } Stunden
}

error-upstream-unknown-title = Unbekannte Anmeldeoption
error-upstream-unknown = Diese Anmeldeoption gibt es nicht.
error-upstream-not-offered-title = Anmeldeoption nicht verfügbar
error-upstream-not-offered = Diese Anwendung bietet diese Art der Anmeldung nicht an.
error-device-needs-federation = Für diese Anwendung müssen Sie sich auf andere Weise anmelden (über den Identitätsanbieter Ihrer Organisation). Melden Sie sich ab, melden Sie sich auf diese Weise an und geben Sie den Code erneut ein.
error-device-needs-mfa = Diese Anwendung verlangt eine zweistufige Anmeldung. Melden Sie sich ab, melden Sie sich mit Ihrem zweiten Faktor an und geben Sie den Code erneut ein.

# Strony Partnerline po polsku. Każdy komunikat z tego pliku musi istnieć także w en, it, ro i zh.

## frame
skip-to-content = Przejdź do treści
nav-label = Nawigacja główna
nav-home = Strona główna
nav-customers = Klienci
nav-earnings = Zarobki
sign-out = Wyloguj się
language = Język

## errors
error-title = Coś jest nie tak
error-back-home = Wróć do strony głównej
error-not-found = Nic tu nie ma albo nie masz uprawnień, aby to zobaczyć.
error-forbidden = Nie masz uprawnień do wykonania tej czynności.
error-conflict = W międzyczasie coś się zmieniło: odśwież stronę i spróbuj ponownie.
error-too-many = Zbyt wiele prób: odczekaj minutę i spróbuj ponownie.
error-bad-request = Nie udało się zrozumieć przesłanych danych.
error-too-large = Przesłane dane są zbyt duże.
error-internal = Wystąpił błąd po naszej stronie. Spróbuj ponownie za chwilę.
error-csrf = Ten formularz wygasł. Wróć, odśwież stronę i wyślij go ponownie.

## sign-in
sign-in-title = Logowanie
sign-in = Zaloguj się
field-email = E-mail
field-password = Hasło
sign-in-missing = Podaj adres e-mail i hasło.
sign-in-wrong = Adres e-mail lub hasło jest nieprawidłowe.
sign-in-too-many = Zbyt wiele nieudanych prób: odczekaj kilka minut, zanim spróbujesz ponownie.

## merchant
merchant-title = Twój program
merchant-soon = Konsola sprzedawcy jest w przygotowaniu. Do tego czasu programem zarządza się przez API.
merchant-api-docs = Otwórz dokumentację API

## home (D1)
home-title = Twoja strona główna
home-referral = Twój link polecający
copy = Kopiuj
copied = Skopiowano
home-qr-alt = Kod QR Twojego linku polecającego
home-no-referral = Nie masz jeszcze aktywnego linku polecającego.
home-figures = Twoje wyniki
home-customers-current = Obecni klienci
home-customers-potential = Potencjalni klienci
home-orders = Zamówienia
home-order-value = Wartość zamówień
home-rate = Twoja stawka prowizji
rate-source-default = Domyślna stawka programu
rate-source-trust-level = Stawka Twojego poziomu zaufania
rate-source-rule = Reguła prowizji
home-earnings = Twoje zarobki
home-lifetime = Łączne zarobki
home-pending = Oczekujące
home-available = Dostępne
home-awaiting = Oczekuje na wypłatę
home-paid = Wypłacone
home-no-earnings = Nie masz jeszcze prowizji: pojawią się tutaj wraz z pierwszym opłaconym zamówieniem.
home-see-earnings = Zobacz wszystkie operacje na Twoich zarobkach
home-over-time = W czasie
home-period = Okres
every-week = Tygodniowo
every-month = Miesięcznie
chart-table = Dane w formie tabeli
period-from = Okres od
value = Wartość
home-chart-customers = Nowi klienci
home-chart-commissions = Naliczone prowizje ({ $currency })
home-recent-orders = Ostatnie zamówienia
home-no-orders = Brak zamówień.
order-number = Numer
order-customer = Klient
order-status = Status
order-placed = Data złożenia
order-total = Suma
order-status-pending-payment = Oczekuje na płatność
order-status-paid = Opłacone
order-status-confirmed = Potwierdzone
order-status-in-production = W produkcji
order-status-shipped = Wysłane
order-status-completed = Zrealizowane
order-status-cancelled = Anulowane
hello = Witaj, { $name }
orders-count = { $n ->
    [one] { $n } zamówienie
    [few] { $n } zamówienia
    [many] { $n } zamówień
   *[other] { $n } zamówienia
}

## customers (CU1-CU6)
customers-title = Klienci
customer-add = Dodaj klienta
customers-search = Szukaj
customers-search-hint = Nazwa, e-mail lub telefon
filter-all = Wszyscy
filter-apply = Zastosuj
customer-status-current = Obecny
customer-status-potential = Potencjalny
customers-section-current = Obecni klienci
customers-section-potential = Potencjalni klienci
temperature-hot = Gorący
temperature-warm = Ciepły
temperature-cold = Zimny
temperature-not-interested = Niezainteresowany
customers-none = Nie ma tu jeszcze klientów.
customers-none-match = Żaden klient nie pasuje do tych filtrów.
customer-pending-approval = Oczekuje na zatwierdzenie
more = Pokaż więcej
form-has-errors = Niektóre pola wymagają poprawy: zobacz komunikaty obok nich.
customer-deleted = Klient został usunięty.
customer-created = Klient został dodany.
customer-saved = Zmiany zostały zapisane.
customer-noted = Notatka została dodana.
customer-logged = Wpis został dodany do dziennika.
field-name = Nazwa
field-contact = Osoba kontaktowa
field-phone = Telefon
field-vat = Numer VAT
field-address = Adres
field-line1 = Ulica i numer
field-line2 = Adres (linia 2)
field-city = Miasto
field-postal-code = Kod pocztowy
field-region = Region
field-country = Kraj (dwie litery)
field-status = Status
field-temperature = Temperatura
field-discount = Rabat (%)
discount = Rabat
field-currency = Waluta
field-language = Język
field-business = Klient firmowy
customer-details = Szczegóły
customer-since = Klient od { $date }
save = Zapisz
customer-delete = Usuń tego klienta
customer-delete-confirm = Klient, jego notatki i dziennik zostaną trwale usunięte. Jego zamówienia pozostaną.
customer-delete-yes = Tak, usuń trwale
notes = Notatki
note-new = Nowa notatka
note-priority = Priorytet
note-add = Dodaj notatkę
notes-none = Brak notatek.
priority-high = Wysoki
priority-medium = Średni
priority-none = Brak
log = Dziennik komunikacji
log-kind = Rodzaj
log-kind-call = Rozmowa telefoniczna
log-kind-email = E-mail
log-kind-meeting = Spotkanie
log-kind-message = Wiadomość
log-summary = O czym rozmawiano
log-add = Dodaj do dziennika
log-none = Brak wpisów w dzienniku.
customer-orders = Zamówienia

## earnings (C3, C10, C11)
earnings-title = Zarobki
earnings-balances = Twoje salda w { $currency }
balance-pending = Oczekujące
balance-pending-means = Naliczone od zamówień, które nie zostały jeszcze zrealizowane.
balance-held = Wstrzymane
balance-held-means = Zrealizowane zamówienia, dla których nie minął jeszcze okres zwrotu.
balance-available = Dostępne
balance-available-means = Środki, których wypłatę możesz zlecić. Saldo jest ujemne po zwrocie pieniędzy za zamówienie, od którego prowizja została Ci już wypłacona.
balance-requested = Zlecone
balance-requested-means = Zlecone do wypłaty, czekają na sprzedawcę.
balance-paid = Wypłacone
balance-paid-means = Środki już Ci wypłacone.
balance-lifetime = Łącznie
balance-lifetime-means = Wszystko, co zarobiono i czego nie cofnięto.
payout-amount = Kwota
payout-all = Cała dostępna kwota
payout-request = Zleć wypłatę
payout-requested = Twoje zlecenie wypłaty zostało wysłane do sprzedawcy.
ledger = Wszystkie operacje
ledger-none = Brak operacji.
ledger-when = Kiedy
ledger-what = Co
ledger-amount = Kwota
ledger-accrued = Naliczono prowizję od zamówienia { $order }
ledger-accrued-team = Naliczono prowizję zespołową od zamówienia { $order }
ledger-held = Prowizja od zamówienia { $order } wstrzymana do końca okresu zwrotu
ledger-available = Prowizja od zamówienia { $order } jest już dostępna
ledger-voided = Anulowano prowizję od zamówienia { $order }
ledger-clawback = Zwrot prowizji: zwrot pieniędzy za zamówienie { $order } po wypłacie
ledger-payout-requested = Zlecono wypłatę
ledger-payout-rejected = Odrzucono zlecenie wypłaty: kwota jest ponownie dostępna
ledger-payout-paid = Wypłata zrealizowana
ledger-lead-reward = Nagroda za pozyskanego leada
ledger-top-up = Zasilenie
ledger-settlement = Rozliczenie
payouts = Wypłaty
payouts-none = Brak wypłat.
payout-reference = Numer referencyjny
payout-status-requested = Zlecona
payout-status-approved = Zatwierdzona
payout-status-rejected = Odrzucona
payout-status-paid = Wypłacona

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

## orders (O2-O7, O9)
nav-orders = Zamówienia
orders-title = Zamówienia
order-new = Nowe zamówienie
orders-search-hint = Numer lub klient
orders-from = Złożone od
orders-to = Złożone do
orders-sort = Sortuj według
sort-newest = Od najnowszych
sort-oldest = Od najstarszych
sort-total-desc = Od najwyższej sumy
sort-total-asc = Od najniższej sumy
sort-number = Numer
sort-customer = Klient
orders-none-match = Żadne zamówienie nie pasuje do tych filtrów.
order-title = Zamówienie { $number }
order-pay-link = Link do płatności
order-pay-link-once = Wyślij ten link klientowi: otwiera on zamówienie z przyciskiem Zapłać. Jest widoczny tylko teraz; dopóki zamówienie czeka na płatność, poniżej możesz utworzyć nowy.
order-items = Pozycje
order-wholesale = Hurtowe, do odsprzedaży
order-item = Pozycja
order-qty = Ilość
order-unit-price = Cena
order-net = Kwota
order-returned = Zwrócono: { $n }
order-subtotal = Suma częściowa
order-discount = Rabat
order-shipping = Dostawa
order-tax = Podatek
order-paid = Zapłacono
order-refunded = Zwrócono
order-refunds = Zwroty
order-history = Historia statusów
order-note-visibility = Kto ją widzi
visibility-internal = Wewnętrzna
visibility-customer = Także klient
order-renew-link = Utwórz nowy link do płatności
order-renew-warning = Wcześniej wysłany link przestanie działać.
method-pay-later-link = Płatność później, przez link
method-card = Karta
method-bank-transfer = Przelew bankowy
method-paypal = PayPal
method-cash-on-delivery = Płatność przy odbiorze
channel-storefront = Sklep
channel-quick-order = Link do szybkiego zamówienia
channel-partner-assisted = Złożone przez partnera
channel-api = API
order-pick = Wybierz klienta
order-coupon = Kod kuponu
order-payment = Płatność
order-wholesale-for-me = Zakup hurtowy dla mnie, do odsprzedaży
order-cart = Koszyk
order-quote = Pokaż sumy
order-place = Złóż zamówienie
order-no-items = Dodaj do koszyka co najmniej jeden produkt.
order-pick-customer = Wybierz klienta, dla którego jest to zamówienie.
customer-new-order = Nowe zamówienie dla tego klienta

## customer pages (P1-P3, O3, CU8)
join-title = Dołącz do programu { $program }
join-invited = { $name } zaprasza Cię.
join-apply = Zgłoś się
join-why = Dlaczego Ty?
join-review = Dziękujemy: rozpatrzymy Twoje zgłoszenie i napiszemy do Ciebie.
join-approved = Witamy! Możesz się teraz zalogować.
pay-for = Dla { $name }
pay-button = Zapłać { $total }
pay-done = Dziękujemy: płatność została przyjęta.
pay-status = Status zamówienia: { $status }.
quick-title = Zamówienie dla { $name }
quick-discount = Twoje ceny zawierają rabat { $percent }.
quick-product = Produkt
quick-your-price = Twoja cena
quick-note = Uwagi
quick-place = Złóż zamówienie

## leads (LE1-LE5), team (C7, P4, X7), account (A1, P5)
nav-leads = Leady
leads-title = Leady
lead-submit = Zgłoś leada
leads-search-hint = Osoba kontaktowa, e-mail, firma lub strona internetowa
lead-status-submitted = Zgłoszony
lead-status-in-progress = W toku
lead-status-won = Pozyskany
lead-status-not-eligible = Niekwalifikujący się
leads-none = Nie masz jeszcze leadów: zgłoś pierwszego poniżej.
leads-none-match = Żaden lead nie pasuje do tych filtrów.
lead-contact = Imię i nazwisko osoby kontaktowej
lead-company = Firma
lead-product-line = Linia produktów
lead-submitted-at = Data zgłoszenia
lead-website = Strona internetowa
lead-wants-support = Osoba kontaktowa prosi o telefon od handlowca
lead-rep = Twój handlowiec obsługujący tego leada
lead-no-rep = Nie przypisano jeszcze handlowca.
lead-rep-assigned = Przypisano handlowca
lead-timeline = Oś czasu
lead-won-at = Data pozyskania
lead-plan = Plan
lead-revenue = Przychód
referrals = Pozyskane polecenia
referrals-none = Brak pozyskanych poleceń.
nav-team = Zespół
team-title = Twój zespół
team-invite = Link zapraszający
team-invite-means = Każdy, kto dołączy przez ten link, staje się częścią Twojego zespołu, a od jego sprzedaży otrzymujesz prowizję zespołową.
team-invite-make = Utwórz link zapraszający
team-members = Subpartnerzy
team-read-only = Ich wyniki, tylko do odczytu. Ich klienci pozostają ich klientami.
team-none = Nikt jeszcze nie dołączył do Twojego zespołu.
team-since = Data dołączenia
partner-status-active = Aktywny
partner-status-suspended = Zawieszony
nav-account = Konto
account-title = Twoje konto
account-profile = Profil
account-done-saved = Twoje zmiany zostały zapisane.
account-done-password = Twoje hasło zostało zmienione; pozostałe sesje zostały zakończone.
account-password = Hasło
account-password-means = Zmiana hasła wyloguje Cię ze wszystkich innych sesji.
account-current-password = Obecne hasło
account-new-password = Nowe hasło (co najmniej 8 znaków)
account-repeat-password = Powtórz nowe hasło
account-password-change = Zmień hasło
account-password-mismatch = Podane nowe hasła nie są takie same.
account-payout = Metoda wypłaty
account-payout-means = Dokąd są wysyłane Twoje wypłaty.
account-payout-kind = Rodzaj
payout-kind-bank = Konto bankowe
payout-kind-paypal = PayPal
payout-kind-custom = Inna
account-iban = IBAN
account-holder = Właściciel konta
account-bic = BIC (opcjonalnie)
account-paypal-email = E-mail PayPal
account-custom-details = Szczegóły (inne metody)

## promote (L1, L9, L12)
nav-promote = Promuj
promote-title = Promuj
promote-products = Produkty do promowania
promote-sort-newest = Od najnowszych
promote-sort-sales = Najlepiej sprzedawane
promote-sort-price-asc = Od najtańszych
promote-sort-price-desc = Od najdroższych
promote-none = Sprzedawca nie ma jeszcze produktów do promowania.
promote-earns = Zarabiasz na każdej sprzedaży
promote-sold = Sprzedano
promote-listed = W ofercie od
promote-share-link = Link do udostępniania
promote-make-link = Utwórz link do udostępniania
promote-make-poster = Utwórz plakat
promote-qr-svg = Kod QR (SVG)
promote-qr-png = Kod QR (PNG)
promote-posters = Plakaty
promote-posters-means = Każdy plakat ma własny link, ważny 30 dni: potem prowadzi do sklepu i nikogo nie wiąże.
promote-posters-none = Brak plakatów.
promote-poster = Link plakatu
promote-valid-until = Ważny do
promote-expired = Wygasł
promote-download = Pobierz
promote-coupons = Twoje kupony
promote-coupons-none = Brak kuponów.
promote-uses = Użycia
promote-inactive = Nieaktywny
promote-coupon-new = Nowy kupon
promote-max-uses = Maksymalna liczba użyć (puste: bez limitu)
promote-max-uses-bad = Musi to być liczba całkowita.
promote-coupon-make = Utwórz kupon

## quick-order link (CU8)
quick-link = Link do szybkiego zamówienia
quick-link-means = Link, który klient otwiera, by zamówić po swoich cenach, bez konta.
quick-link-once = Wyślij ten link klientowi. Jest pokazywany tylko teraz.
quick-link-active = Klient ma działający link.
quick-link-regenerate = Utwórz nowy link
quick-link-regenerate-warning = Link, który klient ma teraz, przestanie działać.
quick-link-revoke = Wyłącz link
quick-link-make = Utwórz link do szybkiego zamówienia
customer-revoked = Link do szybkiego zamówienia już nie działa.

## błędy pól zgłaszane przez usługi
error-required = To pole jest wymagane.
error-email = Wpisz adres e-mail, np. imie@przyklad.pl.
error-negative = Nie może być ujemne.
error-positive = Musi być większe od zera.
error-future = Musi być datą w przyszłości.
error-currency = Musi być trzyliterowym kodem waluty, np. EUR.
error-iban = To nie jest poprawny IBAN: sprawdź cyfry.
error-control = Zawiera znak, którego nie można zapisać; usuń go.
error-decimal = Wpisz liczbę, np. 12,50.
error-url = Wpisz adres strony zaczynający się od https://.
error-length-between = Musi mieć od { $min } do { $max } znaków.
error-between = Musi być między { $min } a { $max }.
error-length-max = Może mieć najwyżej { $max } znaków.
error-minimum-payout = Musi wynosić co najmniej minimalną wypłatę programu, { $amount }.

## earnings lines, minimum payout, note edits
payout-minimum = Program wypłaca od { $amount }.
commission-lines = Prowizja od każdego zamówienia
commission-level = Czyja sprzedaż
commission-own = Twoja
commission-team = Twojego zespołu
commission-base = Podstawa
commission-state-pending = Oczekująca
commission-state-held = Wstrzymana
commission-state-available = Dostępna
commission-state-void = Anulowana
commission-held-until = do { $date }
note-edit = Edytuj lub usuń
note-delete-confirm = Notatka zostanie usunięta na zawsze.
note-delete-yes = Usuń notatkę
customer-note-saved = Notatka została zmieniona.
customer-note-deleted = Notatka została usunięta.
order-of-team = (zespół)

## the ledger's filter
ledger-kind-accrued = Prowizja zapisana
ledger-kind-held = Wstrzymana
ledger-kind-available = Teraz dostępna
ledger-kind-voided = Anulowana
ledger-kind-clawback = Zwrot prowizji
ledger-kind-payout-requested = Wypłata zlecona
ledger-kind-payout-rejected = Wypłata odrzucona
ledger-kind-payout-paid = Wypłata zrealizowana
ledger-kind-lead-reward = Nagroda za lead
ledger-kind-top-up = Doładowanie
ledger-kind-settlement = Rozliczenie
ledger-kind = Rodzaj

## Notifications (N1)
nav-notifications = Powiadomienia
notifications-title = Powiadomienia
notifications-unread = { $n ->
    [one] { $n } nieprzeczytane
    [few] { $n } nieprzeczytane
    [many] { $n } nieprzeczytanych
   *[other] { $n } nieprzeczytanych
}
notifications-filter = Które powiadomienia
notifications-mark-all = Oznacz wszystkie jako przeczytane
notifications-new = Nowe
notifications-none = Na razie nic. Tutaj dowiesz się, gdy lead zmieni status, naliczymy prowizję lub wypłata zostanie zrealizowana.
notifications-none-unread = Wszystko przeczytane.
notification-order-attributed = Nowe zamówienie Twojego klienta zostało Ci przypisane.
notification-commission-earned = Naliczono Ci prowizję w wysokości { $amount }.
notification-commission-available = Prowizja w wysokości { $amount } jest już dostępna.
notification-commissions-available = { $n ->
    [one] Prowizja w wysokości { $amount } jest już dostępna.
    [few] { $n } prowizje na łączną kwotę { $amount } są już dostępne.
   *[other] { $n } prowizji na łączną kwotę { $amount } jest już dostępnych.
}
notification-a-partner = Partner
notification-payout-requested = { $name } prosi o wypłatę { $amount }.
notification-payout-paid = Twoja wypłata { $amount } została zrealizowana.
notification-application-submitted = { $name } chce dołączyć do programu.
notification-application-approved = Twoje zgłoszenie zostało zaakceptowane: witamy w programie.
notification-lead-status-changed = Twój lead ma teraz status: { $status }.
notification-lead-assigned = Przypisano Ci leada.
notification-announcement = Nowe ogłoszenie: { $title }
notification-message = Nowa wiadomość od { $name }: { $preview }
announcements-title = Ogłoszenia
announcements-none = Na razie brak ogłoszeń. Tutaj pojawi się to, co zespół programu pisze do partnerów.
messages-title = Wiadomości
messages-with = Twoje wiadomości z { $program }
messages-none = Na razie brak wiadomości. Napisz do zespołu { $program }: o zamówieniu, kliencie, wypłatach, o czymkolwiek.
messages-older = Starsze wiadomości
messages-you = Ty
messages-write = Twoja wiadomość
messages-send = Wyślij

## Emails (N4)
email-greeting = Dzień dobry, { $name },
email-greeting-anyone = Dzień dobry,
email-footer = Ten e-mail wysłał { $program } za pośrednictwem Partnerline.
email-payment-subject = Zamówienie { $number }: Twój link do płatności
email-payment-body = Twoje zamówienie { $number } na kwotę { $total } czeka na płatność. Zapłać bezpiecznie przez poniższy link; jest ważny do { $expires }.
email-payment-button = Zapłać { $total }
email-lead-subject = Otrzymaliśmy Twojego leada { $company }
email-lead-body = Dziękujemy: Twój lead { $company } został zgłoszony. Powiadomimy Cię o każdej zmianie jego statusu.
email-lead-button = Zobacz leada
email-approved-subject = Witamy w { $program }
email-approved-body = Twoje zgłoszenie do { $program } zostało zaakceptowane. Zaloguj się, aby znaleźć swój link polecający i zacząć promować.
email-approved-button = Zaloguj się
email-rejected-subject = Twoje zgłoszenie do { $program }
email-rejected-body = Przykro nam: Twoje zgłoszenie do { $program } nie zostało zaakceptowane.
email-rejected-reason = Podany powód: { $reason }
email-payout-subject = Twoja wypłata { $amount } została zrealizowana
email-payout-body = Twoja wypłata { $amount } została zrealizowana.
email-payout-body-reference = Twoja wypłata { $amount } została zrealizowana (tytuł { $reference }).
email-payout-button = Zobacz swoje zarobki

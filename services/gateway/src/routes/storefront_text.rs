//! The words of the customer pages (`/pay/{token}`, `/q/{token}`) in the five languages of the
//! product (en, it, ro, pl, zh), chosen by the customer's language.

/// Each phrase in en, it, ro, pl, zh. `{}` marks where a value goes.
const PHRASES: &[(&str, [&str; 5])] = &[
    ("order", ["Order {}", "Ordine {}", "Comanda {}", "Zamówienie {}", "订单 {}"]),
    ("for", ["For {}", "Per {}", "Pentru {}", "Dla {}", "客户：{}"]),
    ("item", ["Item", "Articolo", "Produs", "Pozycja", "商品"]),
    ("qty", ["Qty", "Qtà", "Cant.", "Ilość", "数量"]),
    ("price", ["Price", "Prezzo", "Preț", "Cena", "单价"]),
    ("amount", ["Amount", "Importo", "Valoare", "Kwota", "金额"]),
    ("subtotal", ["Subtotal", "Subtotale", "Subtotal", "Suma częściowa", "小计"]),
    ("discount", ["Discount", "Sconto", "Reducere", "Rabat", "折扣"]),
    ("shipping", ["Shipping", "Spedizione", "Livrare", "Wysyłka", "运费"]),
    ("tax", ["Tax", "IVA", "TVA", "VAT", "税"]),
    ("total", ["Total", "Totale", "Total", "Razem", "合计"]),
    ("pay", ["Pay {}", "Paga {}", "Plătește {}", "Zapłać {}", "支付 {}"]),
    (
        "paid",
        [
            "Thank you: your payment was received.",
            "Grazie: abbiamo ricevuto il pagamento.",
            "Mulțumim: plata a fost primită.",
            "Dziękujemy: płatność została przyjęta.",
            "谢谢：已收到您的付款。",
        ],
    ),
    (
        "status",
        [
            "This order is {}.",
            "Questo ordine è {}.",
            "Această comandă este {}.",
            "To zamówienie jest {}.",
            "此订单状态：{}。",
        ],
    ),
    ("order_for", ["Order for {}", "Ordine per {}", "Comandă pentru {}", "Zamówienie dla {}", "为 {} 下单"]),
    (
        "your_discount",
        [
            "Your prices include your {}% discount.",
            "I tuoi prezzi includono il tuo sconto del {}%.",
            "Prețurile includ reducerea ta de {}%.",
            "Twoje ceny zawierają rabat {}%.",
            "您的价格已包含 {}% 折扣。",
        ],
    ),
    ("product", ["Product", "Prodotto", "Produs", "Produkt", "产品"]),
    ("your_price", ["Your price", "Il tuo prezzo", "Prețul tău", "Twoja cena", "您的价格"]),
    ("quantity", ["Quantity", "Quantità", "Cantitate", "Ilość", "数量"]),
    ("note", ["Note", "Nota", "Notă", "Uwagi", "备注"]),
    ("place", ["Place order", "Invia ordine", "Trimite comanda", "Złóż zamówienie", "提交订单"]),
    (
        "thanks",
        [
            "Thank you: order {}",
            "Grazie: ordine {}",
            "Mulțumim: comanda {}",
            "Dziękujemy: zamówienie {}",
            "谢谢：订单 {}",
        ],
    ),
];

fn index(lang: &str) -> usize {
    match lang {
        "it" => 1,
        "ro" => 2,
        "pl" => 3,
        "zh" => 4,
        _ => 0,
    }
}

/// The phrase `key` in `lang` (English when either is unknown), with `{}` left in place.
pub fn text(lang: &str, key: &str) -> &'static str {
    PHRASES.iter().find(|(k, _)| *k == key).map(|(_, t)| t[index(lang)]).unwrap_or("")
}

/// The phrase with its value put in (the value must already be escaped for HTML).
pub fn with(lang: &str, key: &str, value: &str) -> String {
    text(lang, key).replacen("{}", value, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phrase_exists_in_every_language_with_its_placeholder() {
        for (key, t) in PHRASES {
            let holes = t[0].matches("{}").count();
            for (i, s) in t.iter().enumerate() {
                assert!(!s.is_empty(), "{key} in language {i}");
                assert_eq!(s.matches("{}").count(), holes, "{key} in language {i}");
            }
        }
        assert_eq!(with("it", "order", "PL-000001"), "Ordine PL-000001");
        assert_eq!(text("xx", "total"), "Total");
    }
}

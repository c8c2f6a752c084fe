//! Attribution: who brought each customer and each order (L1-L11, X1, X8). This first part holds
//! the rules (`domain`); the service around them (links, `/r/{code}` clicks, consumers of
//! `partner.approved`, `customer.registered` and `order.placed`, `order.attributed`) follows.

pub mod domain;

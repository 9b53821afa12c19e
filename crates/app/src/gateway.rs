//! Payment gateways, and the sandbox gateway used in development and tests.
//!
//! A gateway is reached over HTTP like a real one: Daftar opens an order (signed with the shared
//! key), sends the payer to the gateway's page, receives a signed callback, and asks the gateway
//! to confirm before recording the payment (the verify step). The sandbox plays the gateway's
//! part from inside Daftar, under `/sandbox-gateway/`, only while development mode is on.

use std::future::Future;
use std::pin::Pin;

use daftar_store::sandbox::{self as store_sandbox, OrderRow};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::config::Secret;
use crate::error::{AppError, AppResult, FieldError, Message};
use crate::money::callback_signature;

pub type GatewayFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// An order a gateway opened: its reference and the page to send the payer to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Opened {
    pub reference: String,
    pub pay_url: String,
}

/// What the gateway says of an order when asked.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verified {
    pub status: String,
    pub amount: i64,
}

pub trait Gateway: Send + Sync {
    fn name(&self) -> &'static str;
    fn open<'a>(
        &'a self,
        amount: i64,
        callback_url: &'a str,
        return_url: &'a str,
    ) -> GatewayFuture<'a, Opened>;
    fn verify<'a>(&'a self, reference: &'a str) -> GatewayFuture<'a, Verified>;
    /// Returns a paid order's money to the payer. Gateways answer a repeated refund of the same
    /// reference without paying twice, so a refund can be retried.
    fn refund<'a>(&'a self, reference: &'a str, amount: i64) -> GatewayFuture<'a, ()>;
}

/// The sandbox gateway's client side: plain HTTP to `{base}/sandbox-gateway/api/…`.
pub struct SandboxGateway {
    base: String,
    secret: Secret,
    client: reqwest::Client,
}

impl SandboxGateway {
    pub fn new(base: &str, secret: Secret) -> SandboxGateway {
        SandboxGateway {
            base: base.trim_end_matches('/').to_string(),
            secret,
            client: reqwest::Client::new(),
        }
    }
}

/// The body of an order request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderRequest {
    pub amount: i64,
    pub callback_url: String,
    pub return_url: String,
}

fn now_unix() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

impl SandboxGateway {
    /// A request signed with the shared key, as the merchant side of a gateway's API expects.
    async fn signed_post(&self, path: &str, body: Vec<u8>, what: &str) -> Result<reqwest::Response, String> {
        let ts = now_unix();
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("x-daftar-timestamp", ts.to_string())
            .header("x-daftar-signature", callback_signature(self.secret.expose(), ts, &body))
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("the gateway refused the {what}: {}", response.status()));
        }
        Ok(response)
    }
}

impl Gateway for SandboxGateway {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn open<'a>(
        &'a self,
        amount: i64,
        callback_url: &'a str,
        return_url: &'a str,
    ) -> GatewayFuture<'a, Opened> {
        Box::pin(async move {
            let body = serde_json::to_vec(&OrderRequest {
                amount,
                callback_url: callback_url.to_string(),
                return_url: return_url.to_string(),
            })
            .map_err(|e| e.to_string())?;
            let response = self.signed_post("/sandbox-gateway/api/orders", body, "order").await?;
            response.json().await.map_err(|e| e.to_string())
        })
    }

    fn verify<'a>(&'a self, reference: &'a str) -> GatewayFuture<'a, Verified> {
        Box::pin(async move {
            let response = self
                .client
                .get(format!("{}/sandbox-gateway/api/orders/{reference}", self.base))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if !response.status().is_success() {
                return Err(format!("the gateway does not know order {reference}"));
            }
            response.json().await.map_err(|e| e.to_string())
        })
    }

    fn refund<'a>(&'a self, reference: &'a str, amount: i64) -> GatewayFuture<'a, ()> {
        Box::pin(async move {
            let body = serde_json::to_vec(&RefundRequest { amount }).map_err(|e| e.to_string())?;
            let path = format!("/sandbox-gateway/api/orders/{reference}/refund");
            self.signed_post(&path, body, "refund").await.map(|_| ())
        })
    }
}

/// The body of a refund request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundRequest {
    pub amount: i64,
}

fn refused(en: &str, fa: &str) -> AppError {
    AppError::invalid(FieldError::new(
        "order",
        Message::new("سفارش پرداخت", "Payment order"),
        Message::new(fa, en),
    ))
}

/// The sandbox's side: opens an order for a merchant request signed with the shared key.
pub async fn sandbox_open(app: &App, body: &[u8], timestamp: &str, signature: &str) -> AppResult<Opened> {
    crate::money::check_signature(app, body, timestamp, signature)?;
    let request: OrderRequest =
        serde_json::from_slice(body).map_err(|_| refused("unreadable order", "سفارش خوانا نیست"))?;
    if request.amount <= 0 {
        return Err(refused("the amount must be positive", "مبلغ باید مثبت باشد"));
    }
    let reference = format!("SBX-{}", hex::encode(crate::random_bytes::<8>()).to_uppercase());
    let order = OrderRow {
        reference: reference.clone(),
        amount: request.amount,
        callback_url: request.callback_url,
        return_url: request.return_url,
        status: "pending".into(),
        created_at: app.now(),
        refunded_at: None,
    };
    let mut tx = app.store().begin_housekeeping().await?;
    store_sandbox::insert_order(tx.conn(), &order).await?;
    tx.commit().await?;
    let pay_url =
        format!("{}/sandbox-gateway/pay/{reference}", app.config().public_url.trim_end_matches('/'));
    Ok(Opened { reference, pay_url })
}

pub async fn sandbox_order(app: &App, reference: &str) -> AppResult<OrderRow> {
    store_sandbox::order(app.store().pool(), reference).await?.ok_or(AppError::NotFound)
}

/// The payer pays (or cancels) on the sandbox page: the order is settled once, the merchant is
/// called back with a signed message, and the payer is sent back. Returns where to.
pub async fn sandbox_settle(app: &App, reference: &str, pay: bool) -> AppResult<String> {
    let order = sandbox_order(app, reference).await?;
    let status = if pay { "paid" } else { "cancelled" };
    let mut tx = app.store().begin_housekeeping().await?;
    let settled = store_sandbox::settle(tx.conn(), reference, status).await?;
    tx.commit().await?;
    if settled {
        let body = serde_json::json!({ "reference": reference, "status": status, "amount": order.amount })
            .to_string();
        let ts = app.now();
        let signature = callback_signature(app.config().gateway_secret.expose(), ts, body.as_bytes());
        let sent = reqwest::Client::new()
            .post(&order.callback_url)
            .header("content-type", "application/json")
            .header("x-daftar-timestamp", ts.to_string())
            .header("x-daftar-signature", signature)
            .body(body)
            .send()
            .await;
        if let Err(err) = sent {
            tracing::warn!(%err, reference, "the sandbox could not call the merchant back");
        }
    }
    Ok(order.return_url)
}

/// The sandbox's side of a refund, signed by the merchant like an order.
pub async fn sandbox_refund(
    app: &App,
    reference: &str,
    body: &[u8],
    timestamp: &str,
    signature: &str,
) -> AppResult<()> {
    crate::money::check_signature(app, body, timestamp, signature)?;
    let request: RefundRequest = serde_json::from_slice(body)
        .map_err(|_| refused("unreadable refund", "درخواست بازپرداخت خوانا نیست"))?;
    let order = sandbox_order(app, reference).await?;
    if request.amount != order.amount {
        return Err(refused("the amount differs from the order", "مبلغ با سفارش نمی‌خواند"));
    }
    let mut tx = app.store().begin_housekeeping().await?;
    let refunded = store_sandbox::refund(tx.conn(), reference, app.now()).await?;
    tx.commit().await?;
    if refunded {
        Ok(())
    } else {
        Err(refused("the order was not paid", "این سفارش پرداخت نشده است"))
    }
}

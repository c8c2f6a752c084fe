//! Starts identity alone on a free port, with its own database and NATS prefix.

use std::time::Duration;

use partnerline_proto::identity::v1 as pb;
use partnerline_proto::identity::v1::identity_client::IdentityClient;
use platform::testkit::TestEnv;
use platform::{Clock, Runtime};
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

pub struct Identity {
    pub env: TestEnv,
    pub client: IdentityClient<Channel>,
    pub clock: Clock,
    pub root: String,
    pub metrics: platform::metrics::Metrics,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub fn req<T>(msg: T, token: &str) -> tonic::Request<T> {
    platform::grpc::request(msg, Some(token))
}

impl Identity {
    pub async fn start() -> Identity {
        let env = TestEnv::new();
        let clock = Clock::manual("2026-06-01T09:00:00Z".parse().unwrap());
        let shutdown = CancellationToken::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let rt = Runtime::new(env.config.clone(), clock.clone(), shutdown.clone());
        // Seed the platform admin the way `partnerline seed` does.
        let pool = rt.migrated(identity::SERVICE, identity::migrator()).await.unwrap();
        identity::seed::demo(&identity::service(&rt, pool).unwrap()).await.unwrap();
        let metrics = rt.metrics.clone();
        let task = tokio::spawn(identity::run(rt, listener));
        let client = IdentityClient::new(platform::grpc::channel(&url).unwrap());
        let mut me = Identity { env, client, clock, root: String::new(), metrics, shutdown, task };
        me.root = me.login("root@partnerline.test", "demo-root", None).await;
        me
    }

    pub async fn login(&mut self, email: &str, password: &str, program: Option<&str>) -> String {
        self.try_login(email, password, program).await.expect("login").access_token
    }

    pub async fn try_login(
        &mut self,
        email: &str,
        password: &str,
        program: Option<&str>,
    ) -> Result<pb::TokenPair, tonic::Status> {
        let r = self
            .client
            .login(pb::LoginRequest {
                email: email.into(),
                password: password.into(),
                program: program.map(Into::into),
                client: "10.0.0.1".into(),
            })
            .await?;
        Ok(r.into_inner())
    }

    /// A new program with its admin; returns (tenant id, admin token).
    pub async fn program(&mut self, slug: &str) -> (String, String) {
        let root = self.root.clone();
        let t = self
            .client
            .create_tenant(req(
                pb::CreateTenantRequest {
                    slug: slug.into(),
                    name: format!("Program {slug}"),
                    admin_email: format!("admin@{slug}.test"),
                    admin_password: "admin-password".into(),
                    admin_name: "Admin".into(),
                    currency: "EUR".into(),
                },
                &root,
            ))
            .await
            .unwrap()
            .into_inner();
        let token = self.login(&format!("admin@{slug}.test"), "admin-password", Some(slug)).await;
        (t.id, token)
    }

    pub async fn partner(&mut self, admin: &str, email: &str, parent: Option<&str>) -> pb::Partner {
        self.client
            .create_partner(req(
                pb::CreatePartnerRequest {
                    name: format!("Partner {email}"),
                    email: email.into(),
                    phone: "+39 333 1234567".into(),
                    password: "partner-password".into(),
                    parent_partner_id: parent.map(Into::into),
                    ..Default::default()
                },
                admin,
            ))
            .await
            .unwrap()
            .into_inner()
    }

    pub async fn set_program(&mut self, admin: &str, patch: pb::UpdateProgramRequest) -> pb::Program {
        self.client.update_program(req(patch, admin)).await.unwrap().into_inner()
    }

    /// Subjects of the events identity published so far (after the relay caught up).
    pub async fn published_subjects(&self) -> Vec<String> {
        let bus = platform::nats::Bus::connect(&self.env.config.nats, "test-reader").await.unwrap();
        let mut last = Vec::new();
        for _ in 0..50 {
            let mut stream = bus.js.get_stream(bus.naming.stream("identity")).await.unwrap();
            let n = stream.info().await.unwrap().state.messages;
            let mut subjects = Vec::new();
            for seq in 1..=n {
                if let Ok(m) = stream.get_raw_message(seq).await {
                    subjects.push(bus.naming.strip(m.subject.as_str()).to_string());
                }
            }
            if subjects.len() == last.len() && !subjects.is_empty() {
                return subjects;
            }
            last = subjects;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        last
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
        self.env.cleanup().await;
    }
}

//! Group commit for intake: submissions queue here and one writer saves
//! whatever has gathered in one transaction, so a burst of N submissions
//! costs one fsync rather than N. A lone submission waits for nobody: the
//! writer takes what is queued the moment it is free.

use grassroots_store::{Intake, Store, StoreError, SubmitOutcome};
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<Result<SubmitOutcome, StoreError>>;

#[derive(Clone, Debug)]
pub struct IntakeQueue {
    tx: Option<mpsc::Sender<(Intake, Reply)>>,
    store: Store,
}

impl IntakeQueue {
    /// Start the writer on the current runtime. Outside a runtime (never in
    /// the server, possible in tools) submissions are saved one by one.
    pub fn start(store: Store, max_batch: usize) -> IntakeQueue {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            return IntakeQueue { tx: None, store };
        };
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        handle.spawn(writer(store.clone(), rx, max_batch.max(1)));
        IntakeQueue {
            tx: Some(tx),
            store,
        }
    }

    pub async fn submit(&self, intake: Intake) -> Result<SubmitOutcome, StoreError> {
        let Some(tx) = &self.tx else {
            return self.store.submit_appeal(&intake).await;
        };
        let (reply, answer) = oneshot::channel();
        if tx.send((intake, reply)).await.is_err() {
            return Err(StoreError::Unavailable("intake is shutting down".into()));
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError::Unavailable("intake writer stopped".into())))
    }
}

async fn writer(store: Store, mut rx: mpsc::Receiver<(Intake, Reply)>, max_batch: usize) {
    let mut batch = Vec::with_capacity(max_batch);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (intakes, replies): (Vec<Intake>, Vec<Reply>) = batch.drain(..).unzip();
        match store.submit_appeals(&intakes).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, size = intakes.len(), "intake batch failed");
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Unavailable(
                        "the submission could not be saved; retry with the same key".into(),
                    )));
                }
            }
        }
    }
}

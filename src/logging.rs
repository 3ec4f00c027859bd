//! Log set-up from `[DEFAULT] debug`, `log_file` and `use_json`.
//!
//! Text lines follow oslo.log's default context format, `<date> <time>.<ms> <pid> <LEVEL>
//! <module> [<global request id> <request id> <user id> <project id> - - - -] <message>`, as
//! Keystone writes them (`None` when no global id came in, `-` for unknown ids), and `[-]`
//! outside a request, so the usual OpenStack log tooling reads them. JSON lines carry
//! the same ids as fields of the `request` span.

use std::fmt;
use std::fs::OpenOptions;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Record};
use tracing::{Event, Id, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::DefaultOpts;

/// Install the global subscriber. Client libraries log at `warn` and up only, because their
/// debug output can include request headers.
pub fn init(opts: &DefaultOpts) -> std::io::Result<()> {
    let level = if opts.debug { "debug" } else { "info" };
    let filter = EnvFilter::new(format!("warn,aws_hybrid={level},aws_hybrid_api={level}"));
    let writer = match &opts.log_file {
        Some(path) => BoxWriter::File(Mutex::new(
            OpenOptions::new().create(true).append(true).open(path)?,
        )),
        None => BoxWriter::Stderr,
    };
    let registry = tracing_subscriber::registry()
        .with(filter)
        .with(RequestIdsLayer);
    if opts.use_json {
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_writer(writer);
        registry.with(layer).init();
    } else {
        let layer = tracing_subscriber::fmt::layer()
            .event_format(OpenStackFormat)
            .with_ansi(false)
            .with_writer(writer);
        registry.with(layer).init();
    }
    Ok(())
}

/// Log destination: standard error or the `[DEFAULT] log_file`.
enum BoxWriter {
    Stderr,
    File(Mutex<std::fs::File>),
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for BoxWriter {
    type Writer = Box<dyn std::io::Write + 'a>;

    fn make_writer(&'a self) -> Self::Writer {
        match self {
            BoxWriter::Stderr => Box::new(std::io::stderr()),
            BoxWriter::File(file) => {
                Box::new(FileGuard(file.lock().expect("log file lock poisoned")))
            }
        }
    }
}

struct FileGuard<'a>(std::sync::MutexGuard<'a, std::fs::File>);

impl std::io::Write for FileGuard<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// The ids of the request a span belongs to, kept in the span's extensions.
#[derive(Default, Clone)]
struct RequestIds {
    global_request_id: Option<String>,
    request_id: Option<String>,
    user_id: Option<String>,
    project_id: Option<String>,
}

impl Visit for RequestIds {
    fn record_str(&mut self, field: &Field, value: &str) {
        let slot = match field.name() {
            "request_id" => &mut self.request_id,
            "global_request_id" => &mut self.global_request_id,
            "user_id" => &mut self.user_id,
            "project_id" => &mut self.project_id,
            _ => return,
        };
        *slot = Some(value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, format!("{value:?}").trim_matches('"'));
    }
}

/// Collects [`RequestIds`] from span fields as they are created and recorded.
struct RequestIdsLayer;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for RequestIdsLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut ids = RequestIds::default();
        attrs.record(&mut ids);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(ids);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            if let Some(ids) = extensions.get_mut::<RequestIds>() {
                values.record(ids);
            }
        }
    }
}

/// oslo.log's default line format.
struct OpenStackFormat;

impl<S, N> FormatEvent<S, N> for OpenStackFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        let ids = ctx
            .event_scope()
            .and_then(|scope| {
                scope
                    .from_root()
                    .find_map(|span| span.extensions().get::<RequestIds>().cloned())
            })
            .filter(|ids| ids.request_id.is_some());
        write!(
            writer,
            "{} {} {} {} ",
            chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.3f"),
            std::process::id(),
            metadata.level(),
            metadata.target().replace("::", "."),
        )?;
        match ids {
            Some(ids) => write!(
                writer,
                "[{} {} {} {} - - - -] ",
                ids.global_request_id
                    .as_deref()
                    .filter(|g| *g != "-")
                    .unwrap_or("None"),
                ids.request_id.as_deref().unwrap_or("-"),
                ids.user_id.as_deref().unwrap_or("-"),
                ids.project_id.as_deref().unwrap_or("-"),
            )?,
            None => write!(writer, "[-] ")?,
        }
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

//! `fovea summary MODEL`: the Keras summary table of a zoo network.

use clap::Args;
use fovea_core::Rng;
use fovea_zoo::{alexnet, go::alphago_policy, lenet, AlexNetConfig};

/// Options of `fovea summary`.
#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// The network: alexnet, alphago-policy or lenet; or a Keras model file (.keras, or
    /// a legacy full-model .h5).
    model: String,
    /// AlexNet: 2 splits CONV2, CONV4 and CONV5 into two groups, as on the original two GPUs.
    #[arg(long)]
    groups: Option<usize>,
    /// AlphaGo policy network: filters per hidden convolution (k; the paper's 192).
    #[arg(long)]
    filters: Option<usize>,
    /// Output classes (AlexNet 1000, LeNet 10).
    #[arg(long)]
    classes: Option<usize>,
    /// AlexNet: input height and width.
    #[arg(long)]
    input_size: Option<usize>,
}

const MODELS: &str = "alexnet, alphago-policy, lenet";

/// Builds the named network and prints its summary.
pub fn run(args: &SummaryArgs) -> Result<(), Box<dyn std::error::Error>> {
    if crate::keras::is_keras_model(std::path::Path::new(&args.model)) {
        if args.groups.is_some() || args.filters.is_some() || args.classes.is_some() || args.input_size.is_some() {
            return Err("summary: --groups, --filters, --classes and --input-size apply to zoo networks only".into());
        }
        return crate::keras::summary(std::path::Path::new(&args.model));
    }
    let mut rng = Rng::new(0);
    let reject = |flag: &str, value: Option<usize>| -> Result<(), String> {
        match value {
            Some(_) => Err(format!("summary: --{flag} does not apply to '{}'", args.model)),
            None => Ok(()),
        }
    };
    let model = match args.model.as_str() {
        "alexnet" => {
            reject("filters", args.filters)?;
            let config = AlexNetConfig {
                num_classes: args.classes.unwrap_or(1000),
                input_size: args.input_size.unwrap_or(227),
                groups: args.groups.unwrap_or(1),
                ..Default::default()
            };
            alexnet(&config, &mut rng)?
        }
        "alphago-policy" => {
            reject("groups", args.groups)?;
            reject("classes", args.classes)?;
            reject("input-size", args.input_size)?;
            alphago_policy(args.filters.unwrap_or(192), &mut rng)?
        }
        "lenet" => {
            reject("groups", args.groups)?;
            reject("filters", args.filters)?;
            reject("input-size", args.input_size)?;
            lenet(args.classes.unwrap_or(10), &mut rng)?
        }
        other => return Err(format!("summary: unknown model '{other}' (expected one of: {MODELS})").into()),
    };
    print!("{}", model.summary());
    Ok(())
}

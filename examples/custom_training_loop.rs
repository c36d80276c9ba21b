//! A training loop written by hand on tensors: forward, loss, `backward`,
//! `optimizer.step`, as in PyTorch.
//!
//! The PyTorch program it mirrors (9 lines; this one's `main` is 13):
//!
//! ```python
//! x = torch.rand(64, 3); y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
//! model = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 1))
//! opt = torch.optim.SGD(model.parameters(), lr=0.1)
//! for step in range(300):
//!     loss = ((model(x) - y) ** 2).mean()
//!     opt.zero_grad()
//!     loss.backward()
//!     opt.step()
//! print(loss.item())
//! ```

use fovea_core::{Rng, Tensor};
use fovea_nn::layers::Dense;
use fovea_nn::optimizers::SGD;
use fovea_nn::{Activation, Optimizer, Sequential};

fn main() -> fovea_nn::Result<()> {
    let mut rng = Rng::new(0);
    let x = rng.uniform([64, 3], 0.0, 1.0)?;
    let y = x.matmul(&Tensor::from_vec(vec![1.0, -2.0, 0.5], [3, 1])?)?;
    let model =
        Sequential::new(&[3]).add(Dense::new(16).activation(Activation::Relu)).add(Dense::new(1)).build(&mut rng)?;
    let mut sgd = SGD::with_learning_rate(0.1)?;
    let mut loss = Tensor::scalar(0.0);
    for _ in 0..300 {
        loss = model.forward(&x, true, &mut rng)?.sub(&y)?.square()?.mean_all()?;
        sgd.step(&model, &loss.backward()?)?;
    }
    println!("loss after 300 steps: {:.5}", loss.to_scalar()?);
    Ok(())
}

#[test]
fn runs() {
    main().unwrap();
}

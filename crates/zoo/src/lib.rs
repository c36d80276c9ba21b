//! fovea-zoo: the lecture's reference networks (AlexNet, the AlphaGo policy network,
//! an image captioner). Lands with the layers issue.

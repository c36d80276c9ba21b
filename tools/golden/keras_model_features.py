"""Which features a saved Keras model exercises, read from its saved config (Keras 3
`config.json` or a legacy `.h5` `model_config`), so the manifest's coverage list says
what the files really contain, not what a generator meant to put there.

Pure Python (no Keras import): both the Keras 3 generator and the tf_keras one use it.
"""

# Options recorded with their value (categorical ones).
VALUE_KEYS = [
    "padding", "data_format", "activation", "recurrent_activation", "use_bias", "keepdims",
    "return_sequences", "return_state", "go_backwards", "reset_after", "unroll", "unit_forget_bias",
    "center", "scale", "rms_scaling", "renorm", "mask_zero", "stateful",
]
# Options recorded as ">1" when any entry is larger than 1.
GT1_KEYS = ["strides", "dilation_rate", "groups"]
# Options recorded only when set to something other than Keras's default.
SET_KEYS = {
    "noise_shape": None, "seed": None, "max_value": None, "threshold": 0.0, "negative_slope": 0.0,
    "dropout": 0.0, "recurrent_dropout": 0.0, "epsilon": 0.001, "momentum": 0.99,
}
NESTED_MODELS = ("Sequential", "Functional", "Model")


def _norm(v):
    if isinstance(v, bool):
        return str(v).lower()
    if v is None:
        return "none"
    if isinstance(v, dict):  # a serialized object
        return v.get("class_name", "object")
    return str(v)


def _ints(v):
    if isinstance(v, (list, tuple)):
        return [x for x in v if isinstance(x, int)]
    return [v] if isinstance(v, int) else []


def same_pad_is_odd(kernel, strides, dilation, sizes):
    """Whether TensorFlow's `same` rule puts an extra cell after on some axis."""
    for k, s, d, n in zip(kernel, strides, dilation, sizes):
        if n is None:
            continue
        out = -(-n // s)
        total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
        if total % 2 == 1:
            return True
    return False


def _spatial(shape, data_format, rank):
    dims = list(shape)[1:]
    if data_format == "channels_first":
        return dims[1 : 1 + rank]
    return dims[:rank]


def layer_features(cls, cfg, input_shape):
    """Features of one non-model layer; `input_shape` (with batch) may be None."""
    out = {f"layer:{cls}"}
    for k in VALUE_KEYS:
        if k in cfg:
            v = cfg[k]
            if k in ("activation", "recurrent_activation"):
                out.add(f"activation:{_norm(v)}")
            out.add(f"{cls}.{k}={_norm(v)}")
    for k in GT1_KEYS:
        if k in cfg and any(x > 1 for x in _ints(cfg[k])):
            out.add(f"{cls}.{k}>1")
    for k, default in SET_KEYS.items():
        if k in cfg and cfg[k] != default and not (k == "epsilon" and cls == "LayerNormalization" and cfg[k] == 1e-3):
            out.add(f"{cls}.{k}=set")
    if "strides" in cfg and cfg["strides"] is None:
        out.add(f"{cls}.strides=none")
    if "kernel_size" in cfg and any(x % 2 == 0 for x in _ints(cfg["kernel_size"])):
        out.add(f"{cls}.kernel_size=even")
    if "pool_size" in cfg and any(x % 2 == 0 for x in _ints(cfg["pool_size"])):
        out.add(f"{cls}.pool_size=even")
    if "axis" in cfg:
        out.add(f"{cls}.axis={_norm(cfg['axis'])}")
    for k, v in cfg.items():
        for kind in ("initializer", "regularizer", "constraint"):
            if k.endswith("_" + kind) and v is not None:
                out.add(f"{kind}:{_norm(v)}")
                if kind != "initializer":  # every Keras 3 layer serializes its initializers
                    out.add(f"{cls}.{k}")
    if cfg.get("padding") == "same" and input_shape is not None:
        rank = 2 if cls.endswith("2D") else 1
        fmt = cfg.get("data_format") or "channels_last"
        sizes = _spatial(input_shape, fmt, rank)
        k = cfg.get("kernel_size") or cfg.get("pool_size")
        s = cfg.get("strides") or k
        d = cfg.get("dilation_rate") or 1
        k, s, d = [x if isinstance(x, (list, tuple)) else [x] * rank for x in (k, s, d)]
        if same_pad_is_odd(k, s, d, sizes):
            out.add(f"{cls}.same_odd_total")
    return out


def model_features(config, input_shapes=None, top=True):
    """Features of a serialized model `{"class_name", "config"}`. `input_shapes` maps a
    layer name to its input shape, for configs that carry no `build_config`."""
    input_shapes = input_shapes or {}
    cls = config["class_name"]
    cfg = config["config"]
    kind = "Sequential" if cls == "Sequential" else "Functional"
    out = {f"model:{kind}"} if top else {f"nested:{kind}"}
    for layer in cfg.get("layers", []):
        lcls = layer["class_name"]
        lcfg = layer.get("config", {})
        if lcls in NESTED_MODELS:
            out |= model_features(layer, input_shapes, top=False)
            continue
        if lcls == "InputLayer":
            shape = lcfg.get("batch_shape") or lcfg.get("batch_input_shape") or []
            if any(d is None for d in list(shape)[1:]):
                out.add("input:unknown_dims")
            continue
        nodes = layer.get("inbound_nodes", [])
        if len(nodes) > 1:
            out.add("shared_layer")
        shape = (layer.get("build_config") or {}).get("input_shape") or input_shapes.get(lcfg.get("name"))
        if shape is not None and (not shape or not isinstance(shape[0], (int, type(None)))):
            shape = None  # several inputs (merge layers)
        out |= layer_features(lcls, lcfg, shape)
    if top:
        ins = cfg.get("input_layers")
        outs = cfg.get("output_layers")
        if isinstance(ins, dict) or isinstance(outs, dict):
            out.add("io:dict")
    return out


def io_features(inputs, outputs):
    """Features of the model's inputs and outputs as run (counts and dtypes)."""
    out = {f"input_dtype:{i['dtype']}" for i in inputs}
    if len(inputs) > 1:
        out.add("multi_input")
    if len(outputs) > 1:
        out.add("multi_output")
    return out

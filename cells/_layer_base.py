"""What GenomeCell and GenomeRNN share: the genome, the program, the weights, the config."""

from __future__ import annotations

import keras

from genome import Genome, GenomeError, parse, seeds
from genome.program import Program, compile_genome

#: Per parameter kind, the initializer used when none is given.
DEFAULT_INITIALIZERS = {
    "kernel_initializer": "glorot_uniform",
    "recurrent_initializer": "orthogonal",
    "bias_initializer": "zeros",
    "peephole_initializer": {"class_name": "RandomUniform",
                             "config": {"minval": -0.1, "maxval": 0.1}},
}
_KIND_TO_ARGUMENT = {"W": "kernel_initializer", "U": "recurrent_initializer",
                     "R": "recurrent_initializer", "b": "bias_initializer",
                     "p": "peephole_initializer"}


def as_genome(value: Genome | str) -> Genome:
    """A genome from a Genome, its notation, or a seed name."""
    if isinstance(value, Genome):
        return value
    if isinstance(value, str):
        if not value.strip():
            raise GenomeError("the genome is empty: give its notation, such as "
                              "\"h' = tanh(W x + U h + b)\", or a seed name (`evolve seeds`)")
        if "=" in value:
            return parse(value)
        try:
            return seeds.get(value)
        except KeyError as error:
            raise GenomeError(
                f"{value!r} is neither genome notation (h' = ...) nor a seed name; "
                f"{error.args[0]}") from None
    # A store record holds its genome: the easy slip is to pass the record itself.
    hint = (f"; pass its .genome ({type(value).__name__}.genome is the Genome)"
            if isinstance(getattr(value, "genome", None), Genome) else "")
    raise GenomeError(
        f"expected a Genome, its notation or a seed name, got {type(value).__name__}{hint}")


def check_flag(name: str, value, by_width: bool = False) -> None:
    """Refuse a switch that is not a bool (``None`` too where it means "by width")."""
    if isinstance(value, bool) or (by_width and value is None):
        return
    allowed = "True, False or None (by width)" if by_width else "True or False"
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


class GenomeLayerMixin:
    """Genome, units, initializers, weights and config, for a Keras layer."""

    def _setup_genome(self, genome: Genome | str, units: int, initializers: dict,
                      hoist: bool, fuse: str) -> None:
        # No limit check of its own: a Genome cannot exist unless it is a well-formed cell
        # within HARD_LIMITS (its constructor checks, and it cannot change afterwards), and
        # the campaign's search limits are not for cells that people build by hand.
        self.genome = as_genome(genome)
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            raise ValueError(f"units must be a positive integer, got {units!r}")
        self.units = units
        self.program: Program = compile_genome(self.genome, fuse=fuse, hoist=hoist)
        self._initializer_config = {
            name: initializers.get(name) or DEFAULT_INITIALIZERS[name]
            for name in DEFAULT_INITIALIZERS
        }
        self.param_vars: list = []

    @classmethod
    def from_config(cls, config: dict) -> keras.layers.Layer:
        # Keras reports any constructor error as a TypeError with the whole config in it;
        # a bad genome in a saved model is read first, so it stays the clear GenomeError.
        if "genome" in config:
            config = {**config, "genome": as_genome(config["genome"])}
        return super().from_config(config)

    def _initializer(self, kind: str, index: int, init: float):
        if kind == "b" and init != 0:
            return keras.initializers.Constant(init)
        initializer = keras.initializers.get(self._initializer_config[_KIND_TO_ARGUMENT[kind]])
        config = initializer.get_config()
        if config.get("seed") is not None:
            # A seeded initializer gives the same values at every call: offset the seed
            # so that each matrix is its own draw, reproducibly.
            config["seed"] = config["seed"] + index
            initializer = initializer.__class__.from_config(config)
        return initializer

    def _check_input_width(self, input_dim: int | None) -> int:
        if input_dim is None:
            raise ValueError(f"{type(self).__name__} needs a known input width (last axis)")
        if self.program.needs_square_input and input_dim != self.units:
            raise GenomeError(
                f"this genome reads x where a hidden vector is expected, so its input width "
                f"({input_dim}) must equal units ({self.units}); put a Dense({self.units}) or "
                f"an Embedding of width {self.units} before it")
        return input_dim

    def _create_params(self, input_dim: int) -> None:
        self.param_vars = []
        for index, spec in enumerate(self.program.params):
            self.param_vars.append(self.add_weight(
                name=spec.name.replace("/", "_"),
                shape=spec.shape(input_dim, self.units),
                initializer=self._initializer(spec.kind, index, spec.init),
                trainable=True,
            ))

    def _genome_config(self) -> dict:
        config = {"genome": str(self.genome), "units": self.units}
        for name, value in self._initializer_config.items():
            config[name] = keras.initializers.serialize(keras.initializers.get(value))
        return config

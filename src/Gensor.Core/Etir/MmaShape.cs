namespace Gensor.Etir;

/// <summary>
/// The warp-level matrix-multiply-accumulate a schedule runs on tensor cores
/// (<see cref="Schedule.Mma"/>), or none: the kernel then computes with scalar
/// fused multiply-adds.
/// </summary>
public enum MmaShape
{
    /// <summary>No tensor cores.</summary>
    None,

    /// <summary>
    /// PTX <c>mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}.{f16,bf16}.f32</c> (sm_80+):
    /// a warp multiplies a 16×16 tile of A by a 16×8 tile of B into a 16×8 float32 tile.
    /// </summary>
    M16N8K16,

    /// <summary>
    /// PTX <c>mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32</c> (sm_80+): float32 operands
    /// rounded to TF32 (10 significand bits) on tensor cores, an opt-in (<c>--allow-tf32</c>)
    /// because it changes the result, like PyTorch's <c>allow_tf32</c>.
    /// </summary>
    M16N8K8Tf32,
}

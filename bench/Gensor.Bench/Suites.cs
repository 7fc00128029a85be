using Gensor.Etir;

namespace Gensor.Bench;

/// <summary>One operator of a suite and how often it occurs in the model.</summary>
internal sealed record SuiteEntry(Operator Operator, int Count);

/// <summary>
/// The suites of samples/suites/, built by hand until the front end parses the
/// files; the shapes are the same as in the JSON.
/// </summary>
internal static class Suites
{
    public static IReadOnlyList<string> Names { get; } = ["resnet50_b1", "resnet50_b32", "gpt2", "resnet50_small"];

    public static IReadOnlyList<SuiteEntry> Get(string name) => name switch
    {
        "resnet50_b1" => ResNet50(1, 1, 1),
        "resnet50_b32" => ResNet50(32, 1, 1),
        "resnet50_small" => ResNet50(1, 8, 4),
        "gpt2" => Gpt2(),
        _ => throw new ArgumentException($"unknown suite '{name}' (known: {string.Join(", ", Names)})"),
    };

    /// <summary>
    /// The distinct convolutions of ResNet-50 (v1.5: stride on the 3x3) and its
    /// classifier; channels divided by <paramref name="channelDivisor"/> and the
    /// spatial side by <paramref name="sideDivisor"/> for the small variant.
    /// </summary>
    private static IReadOnlyList<SuiteEntry> ResNet50(int batch, int channelDivisor, int sideDivisor)
    {
        var entries = new List<SuiteEntry>();
        void Conv(string name, int cin, int cout, int side, int window, int stride, int pad, int count)
        {
            var inChannels = name == "conv1" ? cin : Math.Max(1, cin / channelDivisor);
            entries.Add(new SuiteEntry(
                HandBuilt.Conv2d(name, batch, inChannels, Math.Max(1, cout / channelDivisor), side / sideDivisor, window, stride, pad), count));
        }
        Conv("conv1", 3, 64, 224, 7, 2, 3, 1);
        // Stage 1 at 56x56, 3 blocks.
        Conv("s1_reduce_first", 64, 64, 56, 1, 1, 0, 1);
        Conv("s1_reduce", 256, 64, 56, 1, 1, 0, 2);
        Conv("s1_conv3x3", 64, 64, 56, 3, 1, 1, 3);
        Conv("s1_expand", 64, 256, 56, 1, 1, 0, 3);
        Conv("s1_downsample", 64, 256, 56, 1, 1, 0, 1);
        // Stages 2-4: the first block reduces at the previous resolution and strides in its 3x3.
        var stages = new[] { (2, 128, 28, 4), (3, 256, 14, 6), (4, 512, 7, 3) };
        foreach (var (stage, width, side, blocks) in stages)
        {
            var inWidth = width * 2;
            Conv($"s{stage}_reduce_first", inWidth, width, side * 2, 1, 1, 0, 1);
            Conv($"s{stage}_conv3x3_stride2", width, width, side * 2, 3, 2, 1, 1);
            Conv($"s{stage}_reduce", width * 4, width, side, 1, 1, 0, blocks - 1);
            Conv($"s{stage}_conv3x3", width, width, side, 3, 1, 1, blocks - 1);
            Conv($"s{stage}_expand", width, width * 4, side, 1, 1, 0, blocks);
            Conv($"s{stage}_downsample", inWidth, width * 4, side * 2, 1, 2, 0, 1);
        }
        entries.Add(new SuiteEntry(HandBuilt.Gemm("fc", batch, 1000 / channelDivisor, 2048 / channelDivisor, transposedB: true), 1));
        return entries;
    }

    /// <summary>GPT-2 small, sequence 1024, batch 1, 12 heads of 64; every operator occurs once per layer, 12 layers.</summary>
    private static IReadOnlyList<SuiteEntry> Gpt2() =>
    [
        new(HandBuilt.Gemm("qkv", 1024, 2304, 768), 12),
        new(HandBuilt.BatchedScores("attn_scores", 12, 1024, 1024, 64), 12),
        new(HandBuilt.BatchedContext("attn_context", 12, 1024, 64, 1024), 12),
        new(HandBuilt.Gemm("attn_proj", 1024, 768, 768), 12),
        new(HandBuilt.Gemm("mlp_up", 1024, 3072, 768), 12),
        new(HandBuilt.Gemm("mlp_down", 1024, 768, 3072), 12),
    ];
}

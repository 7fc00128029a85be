using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gensor.Diagnostics;

namespace Gensor.Tuning.Batch;

/// <summary>
/// <c>--shard I/N</c>: shard <see cref="Index"/> of <see cref="Count"/> (from 1).
/// An operator belongs to the shard its op_hash falls in, so the split depends
/// neither on the suite's order nor on names, and N machines cover a suite once.
/// </summary>
public sealed record ShardSpec(int Index, int Count)
{
    public static ShardSpec All { get; } = new(1, 1);

    /// <summary>Reads <c>I/N</c>; anything else is bad input.</summary>
    public static ShardSpec Parse(string text)
    {
        var parts = text.Split('/');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            && count >= 1 && index >= 1 && index <= count)
        {
            return new ShardSpec(index, count);
        }
        throw GensorException.BadInput($"--shard '{text}': expected I/N with 1 <= I <= N, e.g. 2/4");
    }

    /// <summary>Whether the operator with this 16-hex-digit key is in the shard.</summary>
    public bool Contains(string key) => ulong.Parse(key, NumberStyles.HexNumber, CultureInfo.InvariantCulture) % (ulong)Count == (ulong)(Index - 1);

    public static string HashOf(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];

    public override string ToString() => $"{Index}/{Count}";
}

using System.Buffers.Binary;
using Onnx;

namespace Gensor.Onnx.Graph;

/// <summary>Decodes the values of a <c>TensorProto</c> (raw little-endian bytes or the typed repeated fields).</summary>
public static class TensorData
{
    /// <summary>The tensor's values as doubles, row-major.</summary>
    /// <exception cref="NotSupportedException">An element type without a numeric meaning here (strings, complex), or external data.</exception>
    public static double[] Decode(TensorProto tensor)
    {
        var count = checked((int)tensor.Dims.Aggregate(1L, (product, extent) => product * extent));
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new NotSupportedException($"tensor '{tensor.Name}' keeps its values in an external file");
        }
        var type = tensor.DataType;
        if (!tensor.RawData.IsEmpty)
        {
            return DecodeRaw(tensor.RawData.Span, type, count, tensor.Name);
        }
        IEnumerable<double> values = type switch
        {
            1 => tensor.FloatData.Select(v => (double)v),
            11 => tensor.DoubleData,
            7 => tensor.Int64Data.Select(v => (double)v),
            12 or 13 => tensor.Uint64Data.Select(v => (double)v),
            10 => tensor.Int32Data.Select(v => (double)BitConverter.UInt16BitsToHalf((ushort)v)),
            16 => tensor.Int32Data.Select(v => (double)BitConverter.Int32BitsToSingle(v << 16)),
            2 or 3 or 4 or 5 or 6 or 9 => tensor.Int32Data.Select(v => (double)v),
            _ => throw new NotSupportedException($"tensor '{tensor.Name}' has element type {type}, which has no numeric meaning here"),
        };
        var array = values.ToArray();
        // A tensor may state one value for a shape of one element; anything else must match.
        return array.Length == count ? array : throw new NotSupportedException($"tensor '{tensor.Name}' holds {array.Length} values for {count} elements");
    }

    /// <summary>
    /// What is wrong with the tensor's stored values, checked without decoding them: a negative dimension,
    /// or a count of values (or raw bytes) that does not match its shape; null when nothing is, or when
    /// the values are elsewhere (external data) or of a type without numbers here.
    /// </summary>
    public static string? Problem(TensorProto tensor)
    {
        if (tensor.Dims.Any(extent => extent < 0))
        {
            return $"'{tensor.Name}' has a negative dimension [{string.Join(",", tensor.Dims)}]";
        }
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            return null;
        }
        long count;
        try
        {
            count = tensor.Dims.Aggregate(1L, (product, extent) => checked(product * extent));
        }
        catch (OverflowException)
        {
            return $"'{tensor.Name}' has dimensions [{string.Join(",", tensor.Dims)}] whose product overflows 64-bit integers";
        }
        var type = tensor.DataType;
        if (!tensor.RawData.IsEmpty)
        {
            long size = ElementBytes(type);
            return size == 0 || tensor.RawData.Length == count * size
                ? null
                : $"'{tensor.Name}' has {tensor.RawData.Length} bytes of raw data for {count} elements of {size} bytes";
        }
        long stored = type switch
        {
            1 => tensor.FloatData.Count,
            11 => tensor.DoubleData.Count,
            7 => tensor.Int64Data.Count,
            12 or 13 => tensor.Uint64Data.Count,
            10 or 16 or 2 or 3 or 4 or 5 or 6 or 9 => tensor.Int32Data.Count,
            _ => -1,
        };
        return stored < 0 || stored == count ? null : $"'{tensor.Name}' holds {stored} values for {count} elements";
    }

    private static double[] DecodeRaw(ReadOnlySpan<byte> raw, int type, int count, string name)
    {
        var size = ElementBytes(type) is var bytes and > 0
            ? bytes
            : throw new NotSupportedException($"tensor '{name}' has element type {type}, which has no numeric meaning here");
        if (raw.Length != (long)count * size)
        {
            throw new NotSupportedException($"tensor '{name}' has {raw.Length} bytes of raw data for {count} elements of {size} bytes");
        }
        var values = new double[count];
        for (var i = 0; i < count; i++)
        {
            var at = raw[(i * size)..];
            values[i] = type switch
            {
                1 => BinaryPrimitives.ReadSingleLittleEndian(at),
                11 => BinaryPrimitives.ReadDoubleLittleEndian(at),
                6 => BinaryPrimitives.ReadInt32LittleEndian(at),
                12 => BinaryPrimitives.ReadUInt32LittleEndian(at),
                7 => BinaryPrimitives.ReadInt64LittleEndian(at),
                13 => BinaryPrimitives.ReadUInt64LittleEndian(at),
                10 => (double)BinaryPrimitives.ReadHalfLittleEndian(at),
                16 => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(at) << 16),
                4 => BinaryPrimitives.ReadUInt16LittleEndian(at),
                5 => BinaryPrimitives.ReadInt16LittleEndian(at),
                2 or 9 => at[0],
                _ => (sbyte)at[0],
            };
        }
        return values;
    }

    /// <summary>Bytes of one element of ONNX element type <paramref name="type"/> in raw data; 0 for a type without numbers here.</summary>
    private static int ElementBytes(int type) => type switch
    {
        1 or 6 or 12 => 4,
        7 or 11 or 13 => 8,
        10 or 16 or 4 or 5 => 2,
        2 or 3 or 9 => 1,
        _ => 0,
    };
}

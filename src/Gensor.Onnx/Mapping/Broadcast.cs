namespace Gensor.Onnx.Mapping;

/// <summary>Numpy (multidirectional) broadcasting of shapes, as ONNX defines it.</summary>
public static class Broadcast
{
    /// <summary>The broadcast shape of all <paramref name="shapes"/>, or null when they do not broadcast.</summary>
    public static long[]? Shapes(params IReadOnlyList<long>[] shapes)
    {
        var rank = shapes.Max(shape => shape.Count);
        var result = Enumerable.Repeat(1L, rank).ToArray();
        foreach (var shape in shapes)
        {
            var offset = rank - shape.Count;
            for (var j = 0; j < shape.Count; j++)
            {
                var extent = shape[j];
                if (extent == result[offset + j] || extent == 1)
                {
                    continue;
                }
                if (result[offset + j] != 1)
                {
                    return null;
                }
                result[offset + j] = extent;
            }
        }
        return result;
    }
}

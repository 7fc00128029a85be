using Gensor.Diagnostics;
using Google.Protobuf;
using Onnx;

namespace Gensor.Onnx.Loading;

/// <summary>
/// Reads <c>.onnx</c> files into the protobuf classes that OnnxSharp generates
/// from the ONNX schema, and turns every way a file can fail to be a model into
/// one bad-input error that names the file.
/// </summary>
public static class OnnxModelFile
{
    private const byte _irVersionTag = 0x08;

    /// <summary>Reads and parses a model file.</summary>
    /// <exception cref="GensorException">BadInput: missing, unreadable, not ONNX, or truncated.</exception>
    public static ModelProto Read(string path)
    {
        if (!File.Exists(path))
        {
            throw GensorException.BadInput($"{path}: no such file");
        }
        try
        {
            // A device or a pipe (/dev/stdin, a shell's <(...)) has no length to read up to: parsed as it is
            // read, a stream that is no model fails at its first bytes. Read whole, /dev/zero ran out of memory.
            return Files.OutputPath.SpecialFileKind(path) is null ? Parse(File.ReadAllBytes(path), path) : ParseStream(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new GensorException(GensorError.BadInput($"{path}: cannot read: {exception.Message}"), exception);
        }
    }

    private static ModelProto ParseStream(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1 << 16);
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException exception)
        {
            throw new GensorException(GensorError.BadInput(NotAModel(path, exception)), exception);
        }
        return Checked(model, path);
    }

    /// <summary>Parses a serialized <c>ModelProto</c>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="GensorException">BadInput: not ONNX, or truncated.</exception>
    public static ModelProto Parse(byte[] bytes, string source)
    {
        if (bytes.Length == 0)
        {
            throw GensorException.BadInput($"{source}: empty file, not an ONNX model");
        }
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException exception)
        {
            // Google.Protobuf says "truncated" when the bytes end inside a field: a cut-off download or copy,
            // or just bytes that are not protobuf. Writers put ir_version (field 1, tag 0x08) first, so only
            // a file that starts like a model is called a truncated one.
            var message = exception.Message.Contains("truncated", StringComparison.OrdinalIgnoreCase) && bytes[0] == _irVersionTag
                ? $"{source}: truncated ONNX model (the file ends inside a protobuf message)"
                : NotAModel(source, exception);
            throw new GensorException(GensorError.BadInput(message), exception);
        }
        return Checked(model, source);
    }

    private static ModelProto Checked(ModelProto model, string source)
    {
        // Protobuf accepts many byte strings as a message of unknown fields, so check what every model has.
        if (model.IrVersion <= 0 || model.Graph is null)
        {
            throw GensorException.BadInput($"{source}: not an ONNX model (no IR version or no graph)");
        }
        if (model.OpsetImport.Count == 0)
        {
            // Writers put opset_import after the graph, so a file cut at a message boundary loses it first.
            throw GensorException.BadInput($"{source}: the model imports no opset (is the file truncated?)");
        }
        return model;
    }

    private static string NotAModel(string source, InvalidProtocolBufferException exception) =>
        $"{source}: not an ONNX model (not a protobuf ModelProto: {FirstSentence(exception.Message)})";

    private static string FirstSentence(string text)
    {
        var end = text.IndexOf(". ", StringComparison.Ordinal);
        return (end < 0 ? text : text[..end]).TrimEnd('.');
    }
}

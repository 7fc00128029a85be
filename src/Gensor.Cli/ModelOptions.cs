using System.CommandLine;
using System.Globalization;
using Gensor.Diagnostics;
using Gensor.Onnx.Import;

namespace Gensor.Cli;

/// <summary>The options <c>import</c> and <c>tune-model</c> share: the model and how to fix its input shapes.</summary>
internal sealed class ModelOptions
{
    private readonly Argument<string> _model = new("MODEL") { Description = "An ONNX model file (.onnx)." };
    private readonly Option<long?> _batch = new("--batch") { Description = "The batch size: sets the first dimension of every data input." };
    private readonly Option<string[]> _dims = new("--dim")
    {
        Description = "A symbolic input dimension's value, NAME=N (repeat the option, or separate with commas).",
        DefaultValueFactory = _ => [],
    };

    public void AddTo(Command command)
    {
        command.Arguments.Add(_model);
        command.Options.Add(_batch);
        command.Options.Add(_dims);
    }

    public string Model(ParseResult parse) => parse.GetValue(_model)!;

    /// <summary>Checks, before any work, that a suite can be written to <paramref name="path"/> (its folders may be missing).</summary>
    /// <exception cref="GensorException">BadInput naming <paramref name="option"/>.</exception>
    public static void CheckSuitePath(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            throw GensorException.BadInput($"{option}: the path is empty");
        }
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            // Checked as a name in its parent, a directory read "--out /: tmp is a directory" (found by fuzzing).
            throw GensorException.BadInput($"{option} {Printable.Text(path)}: is a directory, not a file");
        }
        AtomicFile.CheckDirectory(Path.GetDirectoryName(full)!, [Path.GetFileName(full)], option);
    }

    /// <summary>Refuses a model none of whose nodes maps to an operator; <paramref name="consequence"/> ends the message.</summary>
    /// <exception cref="GensorException">BadInput naming the model.</exception>
    public static void RequireOperators(ImportedModel imported, string path, string consequence)
    {
        if (imported.Suite.Count == 0)
        {
            // The first node's reason: without it the message gave no clue what to change (found by fuzzing).
            var first = imported.Unsupported.FirstOrDefault();
            var type = first?.OpType is { Length: > 0 } opType ? Printable.Text(opType) : "no operator type";
            var why = first is null ? "" : $"; the first, '{Printable.Text(first.Name)}' ({type}): {Printable.Text(first.Reason ?? "")}";
            throw GensorException.BadInput($"{Printable.Text(path)}: no node maps to a Gensor operator ({imported.Unsupported.Count()} unsupported{why}), so {consequence}");
        }
    }

    /// <summary>Writes a suite file (atomically), making its folder if needed.</summary>
    public static void WriteSuite(string path, string suite)
    {
        AtomicFile.WriteAllInFolder(Path.GetDirectoryName(Path.GetFullPath(path))!, [(path, suite)]);
    }

    /// <summary>The checked shape options.</summary>
    /// <exception cref="GensorException">BadInput for a batch below 1 or a malformed --dim.</exception>
    public ImportOptions Read(ParseResult parse)
    {
        var batch = parse.GetValue(_batch);
        if (batch is < 1)
        {
            throw GensorException.BadInput($"--batch must be at least 1, not {batch}");
        }
        var dims = new Dictionary<string, long>();
        foreach (var part in parse.GetValue(_dims)!.SelectMany(text => text.Split(',')))
        {
            var pieces = part.Split('=');
            if (pieces.Length != 2 || pieces[0].Trim().Length == 0
                || !long.TryParse(pieces[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            {
                throw GensorException.BadInput($"--dim '{part}': expected NAME=N with N a positive integer, e.g. --dim seq=128");
            }
            if (!dims.TryAdd(pieces[0].Trim(), value))
            {
                throw GensorException.BadInput($"--dim: '{pieces[0].Trim()}' is given twice");
            }
        }
        return new ImportOptions(batch, dims);
    }
}

namespace Gensor.Cli;

/// <summary>Writes a file so that readers see either the old content or the whole new one.</summary>
internal static class AtomicFile
{
    public static void Write(string path, string content)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    public static void Write(string path, byte[] content)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}

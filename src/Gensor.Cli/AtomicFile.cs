namespace Gensor.Cli;

/// <summary>Writes a file so that readers see either the old content or the whole new one.</summary>
internal static class AtomicFile
{
    public static void Write(string path, string content)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        try
        {
            File.WriteAllText(temporary, content);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            // A failed write leaves nothing behind, not even the temporary file.
            File.Delete(temporary);
            throw;
        }
    }

    public static void Write(string path, byte[] content)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}

using System.Collections.Frozen;
using FastGate.Proxy.Config;
using Tomlyn.Parsing;

namespace FastGate.Proxy.Tests.Config;

/// <summary>
/// The fast reader must build exactly the tree (keys, values, positions) and redacted text that
/// Tomlyn's syntax tree gives, and must refuse whatever Tomlyn refuses, so errors keep Tomlyn's
/// messages and positions.
/// </summary>
public class TomlReaderTests
{
    private static readonly FrozenSet<string> Secrets = ConfigLoader.SecretKeys;

    public static TheoryData<string> ValidDocuments() =>
    [
        "",
        "# only a comment\n\n   \t# another\n",
        "a = 1",
        "a = 1\r\nb = 2\r\n",
        "a = \"x\" # trailing comment\n  b\t=\t'y'\n",
        "[admin]\nlisten = \"127.0.0.1:9901\"\ntoken = \"s3cret\" # keep this comment\n",
        "[[listener]]\nname = \"web\"\n[listener.tls]\ncert = \"a\"\nkey = 'b'\n[[listener.tls.sni]]\nnames = [\"x\"]\n[[listener]]\nname = \"db\"\n",
        "[a.b.c]\nx = 1\n[a]\ny = 2\n[a.b]\nz = 3\n",
        "[ a . \"b c\" . 'd' ]\nk = 1\n",
        "\"quoted key\" = 1\n'literal key' = 2\n\"\" = 3\n\"esc\\u00e9\\tkey\" = 4\n",
        "a.b.c = 1\na.b.d = 2\na.e = 3\n",
        "x = { a = 1, b.c = \"two\", d = { e = [1, 2] } }\n",
        "x = {}\ny = []\nz = [ ]\n",
        "[consumer.a]\nkeys = [\"k1\",\n  \"env:K2\", # second\n] # two\nbasic_password = 'pw'\n[[route]]\n[route.jwt]\nsecret = \"s\"\n",
        "arr = [\n  1, # one\n  2,\n  # nothing\n]\n",
        "nested = [[1, 2], [\"a\", 'b'], [{ k = 1 }, { k = 2 }]]\n",
        "tables = [{ name = \"a\", token = \"t\" }, { name = \"b\" }]\n",
        "headers = { \"x-canary\" = \"1\", password = \"p\" }\n",
        "secret = { token = \"inner\" }\ntoken = { a = 1, token = 2 }\n",
        "i = [0, +1, -1, 1_000, 9223372036854775807, -9223372036854775808, 0x7fff_FFFF, 0o755, 0b1101]\n",
        "f = [0.5, -0.5, +1.0, 1e3, 1E-3, 6.02_2e2_3, 3.14_15, -0.0, 1e0_1]\n",
        "s = [inf, +inf, -inf, nan, +nan, -nan]\n",
        "b = [true, false]\n",
        "d = [1979-05-27T07:32:00Z, 1979-05-27T00:32:00.999999-07:00, 1979-05-27 07:32:00, 1979-05-27T07:32:00, 1979-05-27, 07:32:00, 00:32:00.5]\n",
        "e = \"\\b\\t\\n\\f\\r\\\"\\\\\\u00E9\\U0001F600\"\n",
        "m = \"\"\"\nline one\nline two\"\"\"\n",
        "m = \"\"\"\r\nwindows\r\nlines\"\"\"\r\n",
        "m = \"\"\"The quick \\\n\n    brown \\\n   fox.\"\"\"\n",
        "m = \"\"\"two quotes at the end\"\"\"\"\"\n",
        "m = \"\"\"one \"inner\" and \"\" two\"\"\"\n",
        "l = '''\nraw \\n text\n'''\nl2 = '''ends with two quotes'''''\n",
        "u = \"héllo wörld\"\nafter = 1\n",
        "emoji = \"😀😀\" ; = 1\n".Replace(" ; = 1", ""),
        "emoji = \"😀\"\nx = { a = \"😀\", b = 2 }\n",
        "t = \"tab\there\"\n",
        "[[a]]\n[a.b]\nc = 1\n[[a]]\n[a.b]\nc = 2\n",
        "[a]\n[a.b]\n[a.b.c]\n",
        "k = 1 # comment with \t tab and ünicode\n",
        "[table]\n\n\n[other]\n",
        "big = \"" + new string('x', 200) + "\"\n",
    ];

    public static TheoryData<string> InvalidDocuments() =>
    [
        "a = ",
        "a = 1\na = 2\n",
        "= 1",
        "a = 1 b = 2",
        "[a]\n[a]\n",
        "[a]\nb = 1\n[a.b]\n",
        "a = {}\n[a]\n",
        "a = { b = 1 }\na.c = 2\n",
        "a = []\n[[a]]\n",
        "[[a]]\n[a]\n",
        "a.b = 1\na = 2\n",
        "a = \"unterminated\n",
        "a = 'unterminated\n",
        "a = \"\"\"never closed\n",
        "a = \"bad \\q escape\"\n",
        "a = \"\\uD800\"\n",
        "a = 01\n",
        "a = 1__0\n",
        "a = _1\n",
        "a = 1_\n",
        "a = 0x\n",
        "a = +0x10\n",
        "a = 1.\n",
        "a = .5\n",
        "a = 1e\n",
        "a = 9223372036854775808\n",
        "a = truex\n",
        "a = TRUE\n",
        "a = [1 2]\n",
        "a = [,]\n",
        "[a\n",
        "[[a]\n",
        "[a]]\n",
        "a = \"x\" trailing\n",
        "a = 1\rb = 2\n",
        "a = \"ctrl\u0001char\"\n",
        "# comment with \u0001 control\n",
        "a = 1979-13-45\n",
        "\"\"\"multi\"\"\" = 1\n",
        "m = \"\"\"a\\ \nb\"\"\"\n",
    ];

    /// <summary>TOML 1.1 that Tomlyn reads and this reader leaves to it: the loader still reads them.</summary>
    public static TheoryData<string> TomlynOnlyDocuments() =>
    [
        "[[listener]]\nname = \"web\"\nlisten = \"127.0.0.1:8080\"\nheaders = { a = \"1\", }\n",
        "[[listener]]\nname = \"web\"\nlisten = \"127.0.0.1:8080\"\nheaders = { a = \"1\",\n  b = \"2\" }\n",
    ];

    [Theory]
    [MemberData(nameof(TomlynOnlyDocuments))]
    public void TryRead_Toml11InlineTables_LeftToTomlyn(string text)
    {
        Assert.False(TomlReader.TryRead(text, Secrets, out _, out _, out _));

        var errors = ConfigLoader.LoadFromText(text, "t.toml").Errors;
        Assert.Equal(["t.toml:4:1: unknown key 'headers' in [[listener]]"], errors.Select(e => e.ToString()));
    }

    [Theory]
    [MemberData(nameof(ValidDocuments))]
    public void TryRead_ValidToml_BuildsTomlynTreeAndRedaction(string text)
    {
        var document = SyntaxParser.Parse(text, "t.toml", true);
        Assert.False(document.HasErrors, string.Join("\n", document.Diagnostics));

        Assert.True(TomlReader.TryRead(text, Secrets, out var root, out var redacted, out _));

        AssertSameTable(TomlTreeBuilder.Build(document), root, "");
        Assert.True(ConfigLoader.Redact(text, document) == redacted, $"redacted:\n{redacted}\nTomlyn:\n{ConfigLoader.Redact(text, document)}");
    }

    [Theory]
    [MemberData(nameof(InvalidDocuments))]
    public void TryRead_InvalidToml_RefusesLikeTomlyn(string text)
    {
        Assert.True(SyntaxParser.Parse(text, "t.toml", true).HasErrors, "Tomlyn accepts this document");

        Assert.False(TomlReader.TryRead(text, Secrets, out _, out _, out _));
    }

    /// <summary>
    /// One to three single-character edits of every valid document, from a fixed seed: whatever the reader
    /// accepts, Tomlyn must accept too and read alike. The edits that matter most are the ones
    /// that turn valid TOML into almost-valid TOML.
    /// </summary>
    [Fact]
    public void TryRead_MutatedDocuments_NeverAcceptsWhatTomlynRefuses()
    {
        const string alphabet = "[]{}=,.\"'#\\ \t\n\r_-+:0123456789abefinrtuxzTZ\u00e9\u0001";
        var random = new Random(20261202);
        int accepted = 0;
        foreach (var document in ValidDocuments())
        {
            var text = document;
            for (int i = 0; i < 400; i++)
            {
                var chars = new System.Text.StringBuilder(text);
                for (int edit = 0; edit < 1 + (i % 3); edit++)
                {
                    Mutate(chars, alphabet, random);
                }

                var mutated = chars.ToString();
                if (!TomlReader.TryRead(mutated, Secrets, out var root, out var redacted, out _))
                {
                    continue;
                }

                accepted++;
                var tomlyn = SyntaxParser.Parse(mutated, "t.toml", true);
                Assert.False(tomlyn.HasErrors, $"the reader accepts what Tomlyn refuses ({tomlyn.Diagnostics.FirstOrDefault()}):\n{mutated}");
                AssertSameTable(TomlTreeBuilder.Build(tomlyn), root, "");
                Assert.Equal(ConfigLoader.Redact(mutated, tomlyn), redacted);
            }
        }

        Assert.True(accepted > 1000, $"only {accepted} mutations were valid TOML: the test checks little");
    }

    private static void Mutate(System.Text.StringBuilder chars, string alphabet, Random random)
    {
        int at = chars.Length == 0 ? 0 : random.Next(chars.Length + 1);
        switch (random.Next(3))
        {
            case 0:
                chars.Insert(at, alphabet[random.Next(alphabet.Length)]);
                break;
            case 1 when at < chars.Length:
                chars.Remove(at, 1);
                break;
            default:
                if (at < chars.Length)
                {
                    chars[at] = alphabet[random.Next(alphabet.Length)];
                }

                break;
        }
    }

    public static TheoryData<string> ShippedConfigs()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot(), "configs"), "*.toml", SearchOption.AllDirectories))
        {
            data.Add(Path.GetRelativePath(RepositoryRoot(), file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ShippedConfigs))]
    public void TryRead_ShippedConfig_BuildsTomlynTree(string relativePath)
    {
        TryRead_ValidToml_BuildsTomlynTreeAndRedaction(File.ReadAllText(Path.Combine(RepositoryRoot(), relativePath)));
    }

    [Fact]
    public void LoadFromText_DeeplyNestedArrays_IsAnErrorNotAStackOverflow()
    {
        var text = "[[listener]]\nname = \"web\"\nlisten = \"127.0.0.1:8080\"\nx = " + new string('[', 200_000) + new string(']', 200_000) + "\n";

        var errors = ConfigLoader.LoadFromText(text, "t.toml").Errors;

        Assert.Equal(["t.toml:4:69: arrays and inline tables nested deeper than 64 levels"], errors.Select(e => e.ToString()));
    }

    private static void AssertSameTable(TomlTableNode expected, TomlTableNode actual, string path)
    {
        Assert.True(expected.Position == actual.Position, $"{path}: table at {actual.Position}, Tomlyn says {expected.Position}");
        Assert.Equal(expected.Entries.Select(e => e.Key), actual.Entries.Select(e => e.Key));
        for (int i = 0; i < expected.Entries.Count; i++)
        {
            var (e, a) = (expected.Entries[i], actual.Entries[i]);
            Assert.True(e.KeyPosition == a.KeyPosition, $"{path}.{e.Key}: key at {a.KeyPosition}, Tomlyn says {e.KeyPosition}");
            AssertSameNode(e.Value, a.Value, $"{path}.{e.Key}");
        }
    }

    private static void AssertSameNode(TomlNode expected, TomlNode actual, string path)
    {
        Assert.True(expected.GetType() == actual.GetType(), $"{path}: {actual.TypeName}, Tomlyn says {expected.TypeName}");
        Assert.True(expected.Position == actual.Position, $"{path}: value at {actual.Position}, Tomlyn says {expected.Position}");
        switch (expected)
        {
            case TomlScalar scalar:
                var actualScalar = (TomlScalar)actual;
                Assert.Equal(scalar.TypeName, actualScalar.TypeName);
                Assert.True(Equals(scalar.Value, actualScalar.Value), $"{path}: {Show(actualScalar.Value)}, Tomlyn says {Show(scalar.Value)}");
                break;
            case TomlArrayNode array:
                var actualArray = (TomlArrayNode)actual;
                Assert.Equal(array.Items.Count, actualArray.Items.Count);
                for (int i = 0; i < array.Items.Count; i++)
                {
                    AssertSameNode(array.Items[i], actualArray.Items[i], $"{path}[{i}]");
                }

                break;
            case TomlTableArrayNode tables:
                var actualTables = (TomlTableArrayNode)actual;
                Assert.Equal(tables.Tables.Count, actualTables.Tables.Count);
                for (int i = 0; i < tables.Tables.Count; i++)
                {
                    AssertSameTable(tables.Tables[i], actualTables.Tables[i], $"{path}[{i}]");
                }

                break;
            case TomlTableNode table:
                AssertSameTable(table, (TomlTableNode)actual, path);
                break;
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FastGate.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("FastGate.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Show(object value) => value is string s ? "\"" + s.Replace("\r", "\\r").Replace("\n", "\\n") + "\"" : $"{value} ({value.GetType().Name})";
}

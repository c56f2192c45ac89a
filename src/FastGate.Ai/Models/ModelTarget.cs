
namespace FastGate.Ai.Models;

/// <summary>A <c>provider/model</c> target; <see cref="ModelUtf8"/> null means "the name the client asked for" (<c>*</c>).</summary>
public sealed record ModelTarget(AiProvider Provider, byte[]? ModelUtf8, string Model);

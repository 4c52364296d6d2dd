// `helm template` and `helm lint` without a helm binary: Helm's own Go code, as Maven Central's
// com.marcnuri.helm-java embeds it (JNA and a native library per platform). Run with Java 17:
//   java -cp CLASSPATH tools/helm/HelmCli.java template CHART [--values F] [--set K=V] [--name N] [--kube-version V]...
//   java -cp CLASSPATH tools/helm/HelmCli.java lint CHART
//   java -cp CLASSPATH tools/helm/HelmCli.java version
// CLASSPATH: mvn -q -f tools/helm/pom.xml dependency:build-classpath -Dmdep.outputFile=/dev/stdout
// (Maven fetches the jars once into ~/.m2; test/helpers/helm.ts does this).
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.nio.file.Path;

public class HelmCli {
  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("version")) {
      System.out.println(Helm.version().call());
      return;
    }
    if (args.length < 2) usage();
    Helm helm = new Helm(Path.of(args[1]));
    switch (args[0]) {
      case "lint" -> {
        LintResult r = helm.lint().strict().call();
        r.getMessages().forEach(System.out::println);
        System.exit(r.isFailed() ? 1 : 0);
      }
      case "template" -> {
        // As a cluster of today would: Helm's own default (v1.20) is older than the chart allows.
        TemplateCommand t = helm.template().withName("vim-event-relay").withNamespace("onap").withKubeVersion("1.31.0");
        for (int i = 2; i < args.length; i += 2) {
          if (i + 1 >= args.length) usage();
          if (args[i].equals("--values")) t = t.withValuesFile(Path.of(args[i + 1]));
          else if (args[i].equals("--name")) t = t.withName(args[i + 1]);
          else if (args[i].equals("--kube-version")) t = t.withKubeVersion(args[i + 1]);
          else if (args[i].equals("--set")) {
            String[] kv = args[i + 1].split("=", 2);
            t = t.set(kv[0], kv[1]);
          } else usage();
        }
        System.out.print(t.call());
      }
      default -> usage();
    }
  }

  private static void usage() {
    System.err.println("usage: HelmCli version | lint CHART | template CHART [--values FILE | --set KEY=VALUE | --name NAME | --kube-version V]...");
    System.exit(2);
  }
}

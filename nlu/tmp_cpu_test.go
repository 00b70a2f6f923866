package nlu
import ("testing";"fmt";"runtime";"syscall";"time")
func cpuNow() time.Duration { var r syscall.Rusage; syscall.Getrusage(1 /*RUSAGE_THREAD*/, &r); return time.Duration(r.Utime.Nano()+r.Stime.Nano()) }
func TestTmpCPU(t *testing.T){
 p:=testParser(t)
 inputs := []string{"我家停电了", "总闸跳了合不上去,整栋楼都黑了", "户号3100123456,电话13912345678", "电线断了掉在地上", "這個月電費怎麼這麼高", "嗯"}
 runtime.LockOSThread(); defer runtime.UnlockOSThread()
 for _,in:=range inputs{ c0:=cpuNow(); for i:=0;i<2000;i++{p.Parse(in)}; fmt.Printf("%-40s %v\n", in, (cpuNow()-c0)/2000)}
 n,_,_:=p.analyse("总闸跳了合不上去,整栋楼都黑了")
 c0:=cpuNow(); for i:=0;i<2000;i++{p.norm.Normalize("总闸跳了合不上去,整栋楼都黑了")}; fmt.Println("normalize",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{p.seg.Segment(string(n.Runes))}; fmt.Println("segment",(cpuNow()-c0)/2000)
 toks:=p.seg.Segment(string(n.Runes))
 c0=cpuNow(); for i:=0;i<2000;i++{p.ent.extract(string(n.Runes),toks)}; fmt.Println("entities",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{rs:=append([]rune(nil),n.Runes...); p.hom.Fix(rs)}; fmt.Println("hom",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{extractFeatures(n.Runes,toks,nil)}; fmt.Println("feats",(cpuNow()-c0)/2000)
 f:=extractFeatures(n.Runes,toks,nil); pr:=make([]float64,19)
 c0=cpuNow(); for i:=0;i<2000;i++{p.clf.Predict(f,pr)}; fmt.Println("predict",(cpuNow()-c0)/2000)
 s2:="户号3100123456,电话13912345678"; t2:=p.seg.Segment(s2)
 c0=cpuNow(); for i:=0;i<2000;i++{p.ent.extract(s2,t2)}; fmt.Println("entities2",(cpuNow()-c0)/2000)
 b2r:=byteToRune(s2)
 c0=cpuNow(); for i:=0;i<2000;i++{p.ent.addresses(s2,b2r,t2)}; fmt.Println("addr",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{times(s2,b2r)}; fmt.Println("times",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{ratings(s2,b2r)}; fmt.Println("ratings",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{scopes(s2,b2r)}; fmt.Println("scopes",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{names(s2,b2r)}; fmt.Println("names",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{polarity(p.answers,string(n.Runes))}; fmt.Println("polarity",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{agitation("总闸跳了合不上去,整栋楼都黑了",string(n.Runes))}; fmt.Println("agitation",(cpuNow()-c0)/2000)
 c0=cpuNow(); for i:=0;i<2000;i++{findPhrase(string(n.Runes), safetyPhrases, safetyExclusions)}; fmt.Println("safety",(cpuNow()-c0)/2000)
}
func TestTmpTrad(t *testing.T){ p:=testParser(t); fmt.Println("trad set", len(p.norm.traditional)) }

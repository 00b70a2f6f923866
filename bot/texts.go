package bot

// Texts are the few customer-facing sentences the runtime itself says (everything else is
// the dialogs' prompt catalogue). They are configuration, in the 95598 manner.
type Texts struct {
	Empty       string // nothing was typed
	BadEncoding string // invalid UTF-8
	TooLong     string // over MaxInputRunes; %d is the limit
	Apology     string // a turn failed (panic or store error)
	Expired     string // an idle session started over
	Waiting     string // input while queued; %d position, %d minutes
	Safety      string // a safety hazard reported while waiting for or talking to a human
	Returned    string // an agent handed the session back
	AgentJoined string // an agent took the session
	AgentEnded  string // an agent ended the session
}

// DefaultTexts returns the standard wording.
func DefaultTexts() Texts {
	return Texts{
		Empty:       "您好，没有收到您的内容，请问有什么可以帮您？",
		BadEncoding: "抱歉，您发送的内容中有无法识别的字符，请您重新输入一下，谢谢。",
		TooLong:     "抱歉，您的内容较长（超过%d字），麻烦您分几次简要说明，我们会认真处理。",
		Apology:     "非常抱歉，系统暂时出现问题，请您稍后再试，或直接拨打95598供电服务热线，给您带来不便敬请谅解。",
		Expired:     "您好，由于较长时间没有收到您的消息，本次会话已重新开始。",
		Waiting:     "您好，正在为您转接人工客服，您当前排在第%d位，预计等待约%d分钟，请您稍候。",
		Safety:      "请您注意安全：远离断落的电线或冒火花的设备至少8米，劝阻他人靠近，不要触碰电线或触电的人；在确保安全的前提下可断开电源；如有起火或人员受伤，请立即拨打119或120。我们已为您加急处理。",
		Returned:    "您好，人工客服已为您处理完毕，接下来由智能客服小保继续为您服务。",
		AgentJoined: "您好，人工客服已接入，接下来将由人工客服为您服务。",
		AgentEnded:  "感谢您的来电，本次服务已结束，祝您生活愉快，再见。",
	}
}

func (t Texts) withDefaults() Texts {
	d := DefaultTexts()
	for _, p := range []struct {
		v   *string
		def string
	}{
		{&t.Empty, d.Empty}, {&t.BadEncoding, d.BadEncoding}, {&t.TooLong, d.TooLong},
		{&t.Apology, d.Apology}, {&t.Expired, d.Expired}, {&t.Waiting, d.Waiting},
		{&t.Safety, d.Safety}, {&t.Returned, d.Returned}, {&t.AgentJoined, d.AgentJoined},
		{&t.AgentEnded, d.AgentEnded},
	} {
		if *p.v == "" {
			*p.v = p.def
		}
	}
	return t
}

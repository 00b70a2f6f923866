package nlu

import "errors"

// Sentinel errors of the nlu package; callers test them with errors.Is.
var (
	// ErrConverter means OpenCC could not be opened (libopencc-data missing or broken).
	ErrConverter = errors.New("nlu: opencc converter unavailable")
	// ErrDictionary means a jieba dictionary file could not be found or written.
	ErrDictionary = errors.New("nlu: jieba dictionary unavailable")
	// ErrTrainingData means the embedded or supplied intent examples are unusable.
	ErrTrainingData = errors.New("nlu: bad training data")
	// ErrConfig means the configuration is invalid.
	ErrConfig = errors.New("nlu: bad config")
	// ErrEvalInput means an evaluation file line could not be read.
	ErrEvalInput = errors.New("nlu: bad evaluation input")
)
